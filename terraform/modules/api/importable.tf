################################################################################
# What API Gateway's OpenAPI importer can take: the contract keeps every OpenAPI
# feature the app and the contract tests use; the body sent to API Gateway holds
# the same API without the ones the importer ignores or refuses (it is imported
# with fail_on_warnings on).
#
# "Amazon API Gateway important notes for REST APIs" (API Gateway developer
# guide): "The additionalProperties and anyOf fields are not supported in
# Models", "The discriminator parameter is not supported in any schema object",
# "The example tag is not supported", "exclusiveMinimum is not supported",
# "oneOf is not supported", "The readOnly field is not supported", and
# "Response definitions of the "500": {"$ref": "#/responses/UnexpectedError"}
# form is not supported in the OpenAPI document root. To work around this,
# replace the reference by the inline schema." So shared responses, their
# response headers and shared parameters are inlined here; links (which API
# Gateway has no place for) are dropped; models lose the keywords they cannot
# hold. The function still validates every request against the full contract.
################################################################################

locals {
  shared_parameters = try(local.contract.components.parameters, {})
  shared_responses  = try(local.contract.components.responses, {})
  shared_headers    = try(local.contract.components.headers, {})

  # allOf too: the older wording of the same page lists it ("The allOf field is
  # not supported in Models").
  model_unsupported = ["additionalProperties", "allOf", "anyOf", "discriminator", "example", "exclusiveMinimum", "oneOf", "readOnly"]
  model_children    = ["properties", "items"]

  # Each operation's parameters and responses as the importer takes them: a
  # shared response or parameter inlined, each response header inlined, no links.
  importable_operation_parts = {
    for o in local.contract_operations : "${o.path} ${o.method}" => merge(
      try({ parameters = [for p in o.operation.parameters : try(local.shared_parameters[trimprefix(p["$ref"], "#/components/parameters/")], p)] }, {}),
      try({
        responses = {
          for code, r in o.operation.responses : code => merge(
            {
              for k, v in try(local.shared_responses[trimprefix(r["$ref"], "#/components/responses/")], r) : k => v
              if !contains(["links", "headers"], k)
            },
            try({
              headers = {
                for h, header in try(local.shared_responses[trimprefix(r["$ref"], "#/components/responses/")], r).headers :
                h => try(local.shared_headers[trimprefix(header["$ref"], "#/components/headers/")], header)
              }
            }, {}),
          )
        }
      }, {}),
    )
  }

  # The models (components.schemas) without what a model cannot hold, three
  # levels of properties or items deep (Terraform has no recursion; the
  # contract's deepest is Error.error.code). Anything deeper that is left fails
  # the plan (unimportable_keys, below) rather than the import.
  models = {
    for name, s0 in try(local.contract.components.schemas, {}) : name => merge(
      { for k, v in s0 : k => v if !contains(local.model_unsupported, k) && !contains(local.model_children, k) },
      try({ items = merge(
        { for k, v in s0.items : k => v if !contains(local.model_unsupported, k) && !contains(local.model_children, k) },
        try({ items = { for k, v in s0.items.items : k => v if !contains(local.model_unsupported, k) } }, {}),
        try({ properties = { for p2, s2 in s0.items.properties : p2 => { for k, v in s2 : k => v if !contains(local.model_unsupported, k) } } }, {}),
      ) }, {}),
      try({ properties = {
        for p1, s1 in s0.properties : p1 => merge(
          { for k, v in s1 : k => v if !contains(local.model_unsupported, k) && !contains(local.model_children, k) },
          try({ items = { for k, v in s1.items : k => v if !contains(local.model_unsupported, k) } }, {}),
          try({ properties = {
            for p2, s2 in s1.properties : p2 => merge(
              { for k, v in s2 : k => v if !contains(local.model_unsupported, k) && !contains(local.model_children, k) },
              try({ items = { for k, v in s2.items : k => v if !contains(local.model_unsupported, k) } }, {}),
              try({ properties = { for p3, s3 in s2.properties : p3 => { for k, v in s3 : k => v if !contains(local.model_unsupported, k) } } }, {}),
            )
          } }, {}),
        )
      } }, {}),
    )
  }

  # What must not be left in a body: the model keywords above and links, as
  # keys ("key": after { or , in the JSON; inside a string a quote is escaped),
  # and references to the shared responses, headers, parameters and links. A
  # schema property of one of these names is caught too: rename it or extend
  # the cleaning above.
  import_unsupported_keys = concat(local.model_unsupported, ["links"])
  unimportable_keys = {
    for api, body in local.bodies : api => sort(distinct(concat(
      flatten(regexall("[{,]\"(${join("|", local.import_unsupported_keys)})\":", body)),
      [for ref in flatten(regexall("\"\\$ref\":\"(#/components/(?:responses|headers|parameters|links)/[^\"]*)\"", body)) : "$ref ${ref}"],
    )))
  }
}

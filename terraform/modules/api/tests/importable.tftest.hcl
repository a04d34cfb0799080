# The body both REST APIs import (fail_on_warnings on): the real contract,
# rendered without what API Gateway's importer ignores or refuses ("Amazon API
# Gateway important notes for REST APIs"), and with the gateway responses in it.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name                 = "events-test"
  openapi_path         = "../../../contracts/openapi.yaml"
  lambda_function_name = "events-test-api"
  lambda_invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:events-test-api/invocations"
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "both_apis_fail_on_import_warnings" {
  command = plan

  assert {
    condition     = alltrue([for k, a in aws_api_gateway_rest_api.this : a.fail_on_warnings == true])
    error_message = "Both REST APIs must be imported with fail_on_warnings, so nothing of the contract is silently dropped."
  }
}

run "the_body_holds_nothing_the_importer_ignores" {
  command = plan

  # Keys of the JSON body (after { or ,) that API Gateway's importer does not support.
  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this :
      length(regexall("[{,]\"(additionalProperties|allOf|anyOf|discriminator|example|exclusiveMinimum|oneOf|readOnly|links)\":", a.body)) == 0
    ])
    error_message = "The body must hold no links and no model keyword API Gateway does not support (additionalProperties, example, ...)."
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this :
      length(regexall("\"\\$ref\":\"#/components/(responses|headers|parameters|links)/", a.body)) == 0
    ])
    error_message = "The body must hold no $ref to a shared response, header, parameter or link: they are inlined."
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this :
      length(setintersection(keys(jsondecode(a.body).components), ["responses", "headers", "parameters", "links"])) == 0
    ])
    error_message = "The body's components keep only the models and the security schemes."
  }
}

run "shared_responses_and_headers_are_inlined_not_lost" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/events"].post.responses["429"].headers["Retry-After"].schema.type == "integer" &&
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/events"].post.responses["429"].content["application/json"].schema["$ref"] == "#/components/schemas/Error" &&
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/health"].get.responses["503"].headers["Retry-After"].required == true
    )
    error_message = "A shared response must be inlined with its Retry-After header and its Error schema."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/events"].post.responses["201"].headers.Location.schema.type == "string" &&
      !can(jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/events"].post.responses["201"].links)
    )
    error_message = "An inline response keeps its headers and loses its links."
  }

  assert {
    condition = (
      one([for p in jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/events"].post.parameters : p if p.name == "Idempotency-Key"]).in == "header" &&
      length(jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/events"].get.responses) == 9
    )
    error_message = "Shared parameters are inlined; every response of an operation stays."
  }
}

run "models_keep_what_api_gateway_validates" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.schemas.NewEvent.required == ["type", "subject", "source", "data"] &&
      toset(keys(jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.schemas.NewEvent.properties)) == toset(["type", "subject", "source", "data", "occurred_at"]) &&
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.schemas.Subject.maxLength == 128 &&
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.schemas.Error.properties.error.properties.code.type == "string" &&
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.schemas.EventPage.properties.items.items["$ref"] == "#/components/schemas/Event"
    )
    error_message = "The models keep their types, required properties, bounds and references, at every depth."
  }

  assert {
    condition     = yamldecode(file(var.openapi_path)).components.schemas.NewEvent.additionalProperties == false && can(yamldecode(file(var.openapi_path)).components.responses.TooManyRequests)
    error_message = "The contract itself stays as it is (the app and the contract tests enforce what API Gateway does not)."
  }
}

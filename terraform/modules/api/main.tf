data "aws_partition" "current" {}

locals {
  partition = data.aws_partition.current.partition

  # One contract, two front doors.
  endpoints = {
    edge     = "EDGE"
    regional = "REGIONAL"
  }
}

################################################################################
# The contract and its operations
################################################################################

locals {
  contract = yamldecode(file(var.openapi_path))

  http_methods = ["get", "put", "post", "delete", "options", "head", "patch"]

  integration = {
    type                = "aws_proxy"
    httpMethod          = "POST" # Lambda is always invoked with POST
    uri                 = var.lambda_invoke_arn
    passthroughBehavior = "when_no_match"
  }

  contract_operations = flatten([
    for path, item in local.contract.paths : [
      for method, operation in item : { path = path, method = method, operation = operation }
      if contains(local.http_methods, lower(method))
    ]
  ])

  # The scopes the contract's operations name (x-oauth-scopes): one of them is
  # what a cognito token needs for that operation.
  oauth_scopes = sort(distinct(flatten([for o in local.contract_operations : try(o.operation["x-oauth-scopes"], [])])))
}

################################################################################
# Who may call: the contract secures operations with its api_key scheme; the
# auth_mode adds a cognito authorizer or SigV4 to each of them. An operation
# the contract leaves open (security: []) stays open in every mode, and the API
# key stays required in every mode (usage plans meter and throttle per key).
################################################################################

locals {
  default_security = try(local.contract.security, [])

  # Scheme names of the contract (components.securitySchemes) each mode uses.
  mode_schemes = {
    api_key = ["api_key"]
    cognito = ["api_key", "cognito"]
    iam     = ["api_key", "sigv4"]
  }[var.auth_mode]

  # API Gateway builds one COGNITO_USER_POOLS authorizer per API from this
  # extension; "Authorization" (the contract's scheme) carries the token.
  cognito_authorizer = {
    "x-amazon-apigateway-authorizer" = {
      type         = "cognito_user_pools"
      providerARNs = [var.cognito_user_pool_arn]
    }
  }

  contract_schemes = try(local.contract.components.securitySchemes, {})
  security_schemes = {
    for name, scheme in local.contract_schemes : name => merge(
      scheme,
      { for key, value in local.cognito_authorizer : key => value if name == "cognito" },
    ) if contains(local.mode_schemes, name)
  }

  # An operation's requirement in this mode: every scheme of the mode, the
  # cognito one with the operation's scopes (any one of them will do).
  secured = {
    for o in local.contract_operations : "${o.path} ${o.method}" => [{
      for scheme in local.mode_schemes : scheme => (scheme == "cognito" ? try(o.operation["x-oauth-scopes"], []) : [])
    }] if length(try(o.operation.security, local.default_security)) > 0
  }

  # The ANY method of each path inherits the contract's default requirement;
  # with cognito, a token with any of the contract's scopes reaches the app's 405.
  any_method_security = length(local.default_security) == 0 ? [] : [{
    for scheme in local.mode_schemes : scheme => (scheme == "cognito" ? local.oauth_scopes : [])
  }]

  unscoped_operations = var.auth_mode != "cognito" ? [] : [
    for key, requirement in local.secured : key if length(requirement[0].cognito) == 0
  ]
}

################################################################################
# OpenAPI body: the contract plus one AWS_PROXY integration per operation,
# request validation, and each endpoint's TLS policy
################################################################################

locals {
  # API Gateway checks what it can of the contract before the function runs: the
  # required parameters (present and not blank) of every operation, and the JSON
  # body against the operation's request schema (the models API Gateway makes
  # from components.schemas). A request that fails is answered 400 by the
  # BAD_REQUEST_PARAMETERS or BAD_REQUEST_BODY gateway response below and never
  # invokes the function. The function still validates everything (formats,
  # sizes, the cursor): the gateway's check is a subset, JSON Schema draft 4.
  request_validators = {
    "body-and-parameters" = { validateRequestBody = true, validateRequestParameters = true }
    "parameters"          = { validateRequestBody = false, validateRequestParameters = true }
  }

  # Every other method of a contract path goes to the function too (ANY), so an
  # undeclared method is answered 405 with an Allow header by the app, in the
  # contract's error schema, instead of API Gateway's 403 for unknown routes.
  paths = {
    for path, item in local.contract.paths : path => merge(
      { for key, value in item : key => value if !contains(local.http_methods, lower(key)) && key != "parameters" },
      try({ parameters = [for p in item.parameters : try(local.shared_parameters[trimprefix(p["$ref"], "#/components/parameters/")], p)] }, {}),
      {
        for method, operation in item : method => merge(operation, local.importable_operation_parts["${path} ${method}"], {
          "x-amazon-apigateway-integration"       = local.integration
          "x-amazon-apigateway-request-validator" = can(operation.requestBody) ? "body-and-parameters" : "parameters"
          security                                = lookup(local.secured, "${path} ${method}", [])
        }) if contains(local.http_methods, lower(method))
      },
      {
        "x-amazon-apigateway-any-method" = {
          responses                         = { default = { description = "405 from the function" } }
          security                          = local.any_method_security
          "x-amazon-apigateway-integration" = local.integration
        }
      },
    )
  }

  openapi = merge(local.contract, {
    paths = local.paths
    # The shared responses, headers, parameters and links are inlined or dropped
    # above; the models keep what API Gateway can hold.
    components = merge(
      { for k, v in try(local.contract.components, {}) : k => v if !contains(["responses", "headers", "parameters", "links"], k) },
      { schemas = local.models, securitySchemes = local.security_schemes },
    )
    "x-amazon-apigateway-api-key-source"     = "HEADER"
    "x-amazon-apigateway-request-validators" = local.request_validators
    # In the body, so that a later import (overwrite, the provider's default)
    # cannot drop them, as it can gateway responses set beside the body.
    "x-amazon-apigateway-gateway-responses" = local.body_gateway_responses
  })

  # The TLS policy of each API's default endpoint is set in its body: the
  # aws_api_gateway_rest_api argument for it does not exist in the AWS provider
  # 5.x, and the body is what both 5.x and 6.x send as it is (see the README).
  # An enhanced policy (SecurityPolicy_*) must come with an endpoint access mode.
  tls = {
    for api in keys(local.endpoints) : api => merge(
      { "x-amazon-apigateway-security-policy" = var.security_policies[api] },
      startswith(var.security_policies[api], "SecurityPolicy_") ? { "x-amazon-apigateway-endpoint-access-mode" = var.endpoint_access_mode } : {},
    )
  }

  bodies = { for api in keys(local.endpoints) : api => jsonencode(merge(local.openapi, local.tls[api])) }

  operations = flatten([
    for path, item in local.paths : [
      for method, operation in item : { path = path, method = upper(method), operation = operation }
      if contains(local.http_methods, lower(method))
    ]
  ])

  operation_count = length(local.operations)
}

################################################################################
# REST APIs
################################################################################

resource "aws_api_gateway_rest_api" "this" {
  for_each = local.endpoints

  name           = "${var.name}-${each.key}"
  description    = "${var.name} events API (${each.value})"
  body           = local.bodies[each.key]
  api_key_source = "HEADER"

  # "Errors and warnings from importing your API into API Gateway" (API Gateway
  # developer guide): "If a warning occurs, the operation will continue if the
  # failonwarnings=false query expression is appended to the request URL.
  # Otherwise, the updates will be rolled back." With it on, whatever the
  # importer would ignore fails the apply instead of deploying an API that is
  # not the contract.
  fail_on_warnings = true

  endpoint_configuration {
    types = [each.value]
  }

  tags = var.tags

  # If the API must be replaced, stand up the new one before the old one goes.
  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = alltrue([for name in local.mode_schemes : contains(keys(local.contract_schemes), name)])
      error_message = "auth_mode ${var.auth_mode} needs the contract to declare the security schemes ${join(", ", local.mode_schemes)} (components.securitySchemes)."
    }

    precondition {
      condition     = length(local.unimportable_keys[each.key]) == 0
      error_message = "The rendered body still holds what API Gateway's importer does not support (see local.import_unsupported_keys): ${join(", ", local.unimportable_keys[each.key])}."
    }

    precondition {
      condition     = length(local.unscoped_operations) == 0
      error_message = "With auth_mode cognito every secured operation must name the scopes it needs (x-oauth-scopes); these do not: ${join(", ", local.unscoped_operations)}."
    }
  }
}

################################################################################
# Gateway responses: API Gateway's own errors in the contract's error schema
################################################################################

locals {
  # response type => [status code (null keeps API Gateway's), contract error code]
  gateway_responses = {
    DEFAULT_4XX                  = [null, "BadRequest"]
    DEFAULT_5XX                  = [null, "InternalError"]
    BAD_REQUEST_BODY             = ["400", "BadRequest"]
    BAD_REQUEST_PARAMETERS       = ["400", "BadRequest"]
    ACCESS_DENIED                = ["403", "Forbidden"]
    INVALID_API_KEY              = ["403", "Forbidden"]
    UNAUTHORIZED                 = ["401", "Unauthorized"] # auth_mode cognito: no, a bad or an expired token
    INVALID_SIGNATURE            = ["403", "Forbidden"]    # auth_mode iam
    EXPIRED_TOKEN                = ["403", "Forbidden"]    # auth_mode iam
    MISSING_AUTHENTICATION_TOKEN = ["404", "NotFound"]
    REQUEST_TOO_LARGE            = ["413", "PayloadTooLarge"]
    UNSUPPORTED_MEDIA_TYPE       = ["415", "UnsupportedMediaType"]
    QUOTA_EXCEEDED               = ["429", "TooManyRequests"]
    THROTTLED                    = ["429", "TooManyRequests"]
    INTEGRATION_TIMEOUT          = ["504", "GatewayTimeout"]
  }

  # Headers of API Gateway's own responses: the contract requires Retry-After on
  # every 429 (and 503); throttling and quota limits clear within seconds.
  gateway_response_parameters = {
    QUOTA_EXCEEDED = { "gatewayresponse.header.Retry-After" = "'1'" }
    THROTTLED      = { "gatewayresponse.header.Retry-After" = "'1'" }
  }

  gateway_response_templates = {
    for type, r in local.gateway_responses : type => {
      status_code         = r[0]
      template            = "{\"error\":{\"code\":\"${r[1]}\",\"message\":$context.error.messageString,\"request_id\":\"$context.requestId\"}}"
      response_parameters = lookup(local.gateway_response_parameters, type, null)
    }
  }

  # The x-amazon-apigateway-gateway-responses entry of each type: a null status
  # keeps API Gateway's own.
  body_gateway_responses = {
    for type, r in local.gateway_response_templates : type => {
      for k, v in {
        statusCode         = r.status_code
        responseParameters = r.response_parameters
        responseTemplates  = { "application/json" = r.template }
      } : k => v if v != null
    }
  }
}

# Set in the body now (x-amazon-apigateway-gateway-responses): forgotten, not
# deleted, so the responses the body imports are not reset afterwards.
removed {
  from = aws_api_gateway_gateway_response.this

  lifecycle {
    destroy = false
  }
}

################################################################################
# Deployments and stages
################################################################################

resource "aws_api_gateway_deployment" "this" {
  for_each = aws_api_gateway_rest_api.this

  rest_api_id = each.value.id
  description = "body ${substr(sha1(local.bodies[each.key]), 0, 12)}"

  # A new deployment whenever the contract, the integration, the validators, the
  # TLS policy or the gateway responses (status, template, headers) change: all
  # of them are in the body. The stage moves to it before the old one is deleted.
  triggers = {
    redeployment = sha1(local.bodies[each.key])
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_338:Retention is each environment's choice (log_retention_in_days): the module default and prod keep 365 days; local, dev and staging keep 7, 30 and 90 to limit cost
  for_each = local.endpoints

  name              = "/aws/apigateway/${var.name}-${each.key}/access"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

# API Gateway writes execution logs to this fixed name; creating it first gives
# it encryption and a retention instead of a plain, never-expiring group.
resource "aws_cloudwatch_log_group" "execution" {
  #checkov:skip=CKV_AWS_338:Retention is each environment's choice (log_retention_in_days): the module default and prod keep 365 days; local, dev and staging keep 7, 30 and 90 to limit cost
  for_each = aws_api_gateway_rest_api.this

  name              = "API-Gateway-Execution-Logs_${each.value.id}/${var.stage_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:No stage cache: answers depend on the API key and on an event's status, which changes as it moves through the pipeline; POSTs are not cacheable and a cache cluster is billed by the hour
  #checkov:skip=CKV2_AWS_51:The only backend is Lambda (AWS_PROXY), which API Gateway invokes with IAM (aws_lambda_permission scoped to each API's execution ARN); a client certificate authenticates API Gateway to an HTTP backend
  #checkov:skip=CKV2_AWS_77:The stages take the web ACL passed in (web_acl): modules/waf's in prod, whose known-bad-inputs group holds the Log4j rules, or a fork's own; checkov does not follow the module output
  for_each = aws_api_gateway_rest_api.this

  rest_api_id          = each.value.id
  deployment_id        = aws_api_gateway_deployment.this[each.key].id
  stage_name           = var.stage_name
  xray_tracing_enabled = var.xray_tracing_enabled

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[each.key].arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      path               = "$context.path"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationLatency = "$context.integrationLatency"
      integrationStatus  = "$context.integrationStatus"
      errorMessage       = "$context.error.message"
      errorType          = "$context.error.responseType"
      apiKeyId           = "$context.identity.apiKeyId"
      sourceIp           = "$context.identity.sourceIp"
      userAgent          = "$context.identity.userAgent"
      xrayTraceId        = "$context.xrayTraceId"
      tlsVersion         = "$context.tlsVersion"
      cipherSuite        = "$context.cipherSuite"
    })
  }

  tags = var.tags

  depends_on = [
    aws_api_gateway_account.this,
    aws_cloudwatch_log_group.execution,
  ]
}

locals {
  # Operations anyone may call: no API key (the contract's `security: []`), so
  # no usage plan throttles or counts them. Each gets the stage's settings with
  # its own, tighter throttle, so it cannot be used to run up invocations (or
  # take the stage's throughput from the callers that hold a key).
  public_operations = [for o in local.operations : o if try(length(o.operation.security) == 0, false)]

  public_method_settings = merge([
    for api in keys(local.endpoints) : {
      for o in local.public_operations : "${api} ${o.method} ${o.path}" => {
        api         = api
        method_path = "${trimprefix(o.path, "/")}/${o.method}"
      }
    }
  ]...)
}

resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:Caching stays off for the stage's reason (CKV_AWS_120); cache_data_encrypted is still set for a fork that turns it on
  for_each = aws_api_gateway_stage.this

  rest_api_id = each.value.rest_api_id
  stage_name  = each.value.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.logging_level
    data_trace_enabled     = false # request and response bodies stay out of the logs
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
    caching_enabled        = false
    cache_data_encrypted   = true
  }
}

# A method's entry in the stage holds all of its settings, not only those that
# differ from */*: they repeat the stage's, with the public throttle.
resource "aws_api_gateway_method_settings" "public" {
  #checkov:skip=CKV_AWS_225:Caching stays off for the stage's reason (CKV_AWS_120): the answers change as events move through the pipeline
  for_each = local.public_method_settings

  rest_api_id = aws_api_gateway_stage.this[each.value.api].rest_api_id
  stage_name  = aws_api_gateway_stage.this[each.value.api].stage_name
  method_path = each.value.method_path

  settings {
    metrics_enabled        = true
    logging_level          = var.logging_level
    data_trace_enabled     = false
    throttling_rate_limit  = var.public_throttling_rate_limit
    throttling_burst_limit = var.public_throttling_burst_limit
    caching_enabled        = false
    cache_data_encrypted   = true
  }

  # Both patch the stage's method settings: one stage update at a time.
  depends_on = [aws_api_gateway_method_settings.this]
}

# A REGIONAL web ACL protects both stages: API Gateway associates it with the
# regional part of an edge-optimized API too, where requests arrive after
# CloudFront (with the viewer's IP as their source IP).
resource "aws_wafv2_web_acl_association" "this" {
  for_each = var.web_acl == null ? {} : aws_api_gateway_stage.this

  resource_arn = each.value.arn
  web_acl_arn  = var.web_acl.arn
}

################################################################################
# Usage plan and API key
################################################################################

resource "aws_api_gateway_usage_plan" "this" {
  name        = var.name
  description = "Default plan of ${var.name}: both stages, one key"

  dynamic "api_stages" {
    for_each = aws_api_gateway_stage.this

    content {
      api_id = api_stages.value.rest_api_id
      stage  = api_stages.value.stage_name
    }
  }

  throttle_settings {
    rate_limit  = var.throttling_rate_limit
    burst_limit = var.throttling_burst_limit
  }

  dynamic "quota_settings" {
    for_each = var.quota_limit == null ? [] : [var.quota_limit]

    content {
      limit  = quota_settings.value
      period = var.quota_period
    }
  }

  tags = var.tags
}

# The value is generated by API Gateway and kept (sensitive) in the state.
resource "aws_api_gateway_api_key" "this" {
  name        = "${var.name}-default"
  description = "Default key of ${var.name}"
  enabled     = true

  tags = var.tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  key_id        = aws_api_gateway_api_key.this.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this.id
}

################################################################################
# Lambda permissions (one per API, scoped to its stage, on the qualifier the
# integrations invoke)
################################################################################

resource "aws_lambda_permission" "this" {
  for_each = aws_api_gateway_rest_api.this

  statement_id  = "AllowApiGateway-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = var.lambda_function_name
  qualifier     = var.lambda_qualifier
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${each.value.execution_arn}/${var.stage_name}/*"
}

################################################################################
# Account settings (region-wide): the role API Gateway logs with
################################################################################

resource "aws_iam_role" "cloudwatch" {
  count = var.manage_account_settings ? 1 : 0

  name                 = "${var.name}-apigateway-cloudwatch"
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "apigateway.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  count = var.manage_account_settings ? 1 : 0

  role       = aws_iam_role.cloudwatch[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = var.manage_account_settings ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn

  depends_on = [aws_iam_role_policy_attachment.cloudwatch]
}

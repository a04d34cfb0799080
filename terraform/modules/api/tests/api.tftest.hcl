# Plan-only tests of the api module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name                 = "events-test"
  openapi_path         = "tests/fixtures/openapi.yaml"
  lambda_function_name = "events-test-api"
  lambda_invoke_arn    = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:events-test-api/invocations"
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "one_edge_and_one_regional_api_from_one_body" {
  command = plan

  assert {
    condition     = aws_api_gateway_rest_api.this["edge"].endpoint_configuration[0].types == tolist(["EDGE"])
    error_message = "The edge API must be EDGE."
  }

  assert {
    condition     = aws_api_gateway_rest_api.this["regional"].endpoint_configuration[0].types == tolist(["REGIONAL"])
    error_message = "The regional API must be REGIONAL."
  }

  assert {
    condition = (
      { for k, v in jsondecode(aws_api_gateway_rest_api.this["edge"].body) : k => v if !contains(["x-amazon-apigateway-security-policy", "x-amazon-apigateway-endpoint-access-mode"], k) } ==
      { for k, v in jsondecode(aws_api_gateway_rest_api.this["regional"].body) : k => v if !contains(["x-amazon-apigateway-security-policy", "x-amazon-apigateway-endpoint-access-mode"], k) }
    )
    error_message = "Both APIs must be built from the same body, but for their TLS policy."
  }

  assert {
    condition     = aws_api_gateway_rest_api.this["edge"].api_key_source == "HEADER" && jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-api-key-source"] == "HEADER"
    error_message = "API keys must come from the x-api-key header."
  }
}

run "every_operation_gets_an_aws_proxy_integration" {
  command = plan

  assert {
    condition     = output.operation_count == 5
    error_message = "The fixture has five operations."
  }

  assert {
    condition = alltrue(flatten([
      for path, item in jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths : [
        for method in ["get", "delete"] : (
          item[method]["x-amazon-apigateway-integration"] == {
            type                = "aws_proxy"
            httpMethod          = "POST"
            uri                 = var.lambda_invoke_arn
            passthroughBehavior = "when_no_match"
          }
        ) if contains(keys(item), method)
      ]
    ]))
    error_message = "Each operation needs type aws_proxy, httpMethod POST, the function's invoke ARN and when_no_match."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/things/{thing_id}"].summary == "A thing" &&
      length(jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/things/{thing_id}"].parameters) == 1
    )
    error_message = "Path-level keys that are not operations must pass through untouched."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/health"].get.security == []
    error_message = "The contract's security overrides must be kept."
  }
}

run "stage_logs_traces_and_throttles" {
  command = plan

  assert {
    condition     = alltrue([for k, s in aws_api_gateway_stage.this : s.xray_tracing_enabled && s.stage_name == "api"])
    error_message = "Both stages must be \"api\" with X-Ray tracing."
  }

  assert {
    condition     = alltrue([for k, s in aws_api_gateway_stage.this : can(jsondecode(s.access_log_settings[0].format))])
    error_message = "Access logs must be JSON."
  }

  assert {
    condition = alltrue([
      for k, s in aws_api_gateway_stage.this :
      jsondecode(s.access_log_settings[0].format).tlsVersion == "$context.tlsVersion" &&
      jsondecode(s.access_log_settings[0].format).cipherSuite == "$context.cipherSuite"
    ])
    error_message = "Access logs must record each request's TLS version and cipher suite."
  }

  assert {
    condition     = alltrue([for k, s in aws_api_gateway_stage.this : s.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access[k].arn])
    error_message = "Each stage must log to its own access log group."
  }

  assert {
    condition = alltrue([
      for k, m in aws_api_gateway_method_settings.this :
      m.method_path == "*/*" && m.settings[0].metrics_enabled && m.settings[0].throttling_rate_limit == 100 && m.settings[0].throttling_burst_limit == 50
    ])
    error_message = "Method settings */* must enable metrics and throttle."
  }

  assert {
    condition     = alltrue([for k, g in merge(aws_cloudwatch_log_group.access, aws_cloudwatch_log_group.execution) : g.kms_key_id == var.kms_key_arn])
    error_message = "Access and execution log groups must be encrypted."
  }
}

run "deployment_follows_the_body" {
  command = plan

  assert {
    condition     = alltrue([for k, d in aws_api_gateway_deployment.this : d.triggers.redeployment != ""])
    error_message = "Deployments must carry a redeployment trigger."
  }

  assert {
    condition     = aws_api_gateway_deployment.this["edge"].triggers.redeployment != aws_api_gateway_deployment.this["regional"].triggers.redeployment
    error_message = "Each API's deployment follows its own body (they differ by TLS policy)."
  }
}

################################################################################
# TLS
################################################################################

run "tls_1_2_or_newer_on_both_endpoints" {
  command = plan

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-security-policy"] == "SecurityPolicy_TLS12_PFS_2025_EDGE" &&
      jsondecode(aws_api_gateway_rest_api.this["regional"].body)["x-amazon-apigateway-security-policy"] == "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
    )
    error_message = "The edge API must take an edge TLS 1.2+ policy, the regional API a regional one."
  }

  assert {
    condition     = alltrue([for k, a in aws_api_gateway_rest_api.this : jsondecode(a.body)["x-amazon-apigateway-endpoint-access-mode"] == "STRICT"])
    error_message = "An enhanced policy needs an endpoint access mode: STRICT by default."
  }

  assert {
    condition     = output.security_policies == { edge = "SecurityPolicy_TLS12_PFS_2025_EDGE", regional = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09" }
    error_message = "security_policies must report each API's policy."
  }
}

run "a_legacy_tls_1_2_policy_has_no_access_mode" {
  command = plan

  variables {
    security_policies = {
      edge     = "SecurityPolicy_TLS13_2025_EDGE"
      regional = "TLS_1_2"
    }
    endpoint_access_mode = "BASIC"
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this["regional"].body)["x-amazon-apigateway-security-policy"] == "TLS_1_2" && !can(jsondecode(aws_api_gateway_rest_api.this["regional"].body)["x-amazon-apigateway-endpoint-access-mode"])
    error_message = "TLS_1_2 is a legacy policy: API Gateway takes no endpoint access mode with it."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-endpoint-access-mode"] == "BASIC"
    error_message = "endpoint_access_mode must reach the body of an API with an enhanced policy."
  }
}

run "tls_1_0_is_refused" {
  command = plan

  variables {
    security_policies = {
      edge     = "SecurityPolicy_TLS12_PFS_2025_EDGE"
      regional = "TLS_1_0"
    }
  }

  expect_failures = [var.security_policies]
}

run "an_edge_api_refuses_a_regional_policy" {
  command = plan

  variables {
    security_policies = {
      edge     = "SecurityPolicy_TLS13_1_2_2021_06"
      regional = "SecurityPolicy_TLS13_1_2_2021_06"
    }
  }

  expect_failures = [var.security_policies]
}

run "endpoint_access_mode_is_validated" {
  command = plan

  variables {
    endpoint_access_mode = "LOOSE"
  }

  expect_failures = [var.endpoint_access_mode]
}

################################################################################
# Request validation
################################################################################

run "api_gateway_validates_requests_from_the_contract" {
  command = plan

  assert {
    condition = jsondecode(aws_api_gateway_rest_api.this["regional"].body)["x-amazon-apigateway-request-validators"] == {
      "body-and-parameters" = { validateRequestBody = true, validateRequestParameters = true }
      "parameters"          = { validateRequestBody = false, validateRequestParameters = true }
    }
    error_message = "The body must declare a body-and-parameters and a parameters validator."
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this :
      jsondecode(a.body).paths["/v1/things"].post["x-amazon-apigateway-request-validator"] == "body-and-parameters" &&
      jsondecode(a.body).paths["/v1/things"].get["x-amazon-apigateway-request-validator"] == "parameters" &&
      jsondecode(a.body).paths["/v1/things/{thing_id}"].get["x-amazon-apigateway-request-validator"] == "parameters" &&
      jsondecode(a.body).paths["/health"].get["x-amazon-apigateway-request-validator"] == "parameters"
    ])
    error_message = "An operation with a request body validates body and parameters; every other one its parameters."
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this : alltrue([
        for path, item in jsondecode(a.body).paths : !can(item["x-amazon-apigateway-any-method"]["x-amazon-apigateway-request-validator"])
      ])
    ])
    error_message = "The ANY method (undeclared methods, answered 405 by the function) validates nothing."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/v1/things"].post.requestBody.content["application/json"].schema["$ref"] == "#/components/schemas/NewThing" &&
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.schemas.NewThing.required == ["name"]
    )
    error_message = "The request schemas are the contract's, untouched: API Gateway makes its models from them."
  }

  assert {
    condition = alltrue([
      for type in ["BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS"] : alltrue([
        for api in ["edge", "regional"] : jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"][type].statusCode == "400"
      ])
    ])
    error_message = "A failed validation must be answered 400 in the contract's Error schema."
  }
}

################################################################################
# Operations without an API key
################################################################################

run "public_operations_get_their_own_throttle" {
  command = plan

  assert {
    condition     = output.public_method_paths == tolist(["health/GET"])
    error_message = "GET /health is the fixture's one operation without a key."
  }

  assert {
    condition = alltrue([
      for api in ["edge", "regional"] :
      aws_api_gateway_method_settings.public["${api} GET /health"].method_path == "health/GET" &&
      aws_api_gateway_method_settings.public["${api} GET /health"].stage_name == "api" &&
      aws_api_gateway_method_settings.public["${api} GET /health"].settings[0].throttling_rate_limit == 5 &&
      aws_api_gateway_method_settings.public["${api} GET /health"].settings[0].throttling_burst_limit == 10
    ])
    error_message = "GET /health must be throttled at 5 requests a second (burst 10) on both stages."
  }

  assert {
    condition = alltrue([
      for k, m in aws_api_gateway_method_settings.public :
      m.settings[0].metrics_enabled && m.settings[0].logging_level == "ERROR" && !m.settings[0].data_trace_enabled && !m.settings[0].caching_enabled
    ])
    error_message = "The public methods keep the stage's other settings."
  }

  assert {
    condition     = length(aws_api_gateway_method_settings.public) == 2
    error_message = "Operations that need a key keep the stage's throttle."
  }
}

run "the_public_throttle_is_set_by_variables" {
  command = plan

  variables {
    public_throttling_rate_limit  = 1
    public_throttling_burst_limit = 2
  }

  assert {
    condition = alltrue([
      for k, m in aws_api_gateway_method_settings.public :
      m.settings[0].throttling_rate_limit == 1 && m.settings[0].throttling_burst_limit == 2
    ])
    error_message = "The public throttle must follow its variables."
  }
}

run "the_public_throttle_cannot_exceed_the_stage_s" {
  command = plan

  variables {
    public_throttling_rate_limit = 101
  }

  expect_failures = [var.public_throttling_rate_limit]
}

run "the_public_burst_must_be_whole_and_within_the_stage_s" {
  command = plan

  variables {
    public_throttling_burst_limit = 2.5
  }

  expect_failures = [var.public_throttling_burst_limit]
}

run "the_public_burst_cannot_exceed_the_stage_s" {
  command = plan

  variables {
    public_throttling_burst_limit = 51
  }

  expect_failures = [var.public_throttling_burst_limit]
}

################################################################################
# WAF
################################################################################

run "no_web_acl_by_default" {
  command = plan

  assert {
    condition     = length(aws_wafv2_web_acl_association.this) == 0
    error_message = "Without web_acl no association is made."
  }
}

run "a_web_acl_protects_both_stages" {
  command = plan

  variables {
    web_acl = { arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/events-test/11111111-2222-3333-4444-555555555555" }
  }

  assert {
    condition = alltrue([
      for k in ["edge", "regional"] :
      aws_wafv2_web_acl_association.this[k].web_acl_arn == var.web_acl.arn &&
      aws_wafv2_web_acl_association.this[k].resource_arn == aws_api_gateway_stage.this[k].arn
    ])
    error_message = "The web ACL must be associated with the edge and the regional stage."
  }
}

run "a_cloudfront_web_acl_is_refused" {
  command = plan

  variables {
    web_acl = { arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/events-test/11111111-2222-3333-4444-555555555555" }
  }

  expect_failures = [var.web_acl]
}

run "gateway_responses_use_the_contract_error_schema" {
  command = plan

  # In the body (x-amazon-apigateway-gateway-responses), where an overwrite
  # import cannot drop them; none set beside it.
  assert {
    condition = alltrue([
      for api in ["edge", "regional"] : length(jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"]) == 15
    ])
    error_message = "Each API's body needs the fifteen gateway responses."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"].statusCode == "404"
    error_message = "Unknown routes must answer 404."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this["regional"].body)["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"].responseTemplates["application/json"] == "{\"error\":{\"code\":\"NotFound\",\"message\":$context.error.messageString,\"request_id\":\"$context.requestId\"}}"
    error_message = "Gateway response templates must be exactly the contract's Error shape."
  }

  assert {
    condition = alltrue([
      for type, code in {
        INVALID_API_KEY        = "403:Forbidden"
        ACCESS_DENIED          = "403:Forbidden"
        THROTTLED              = "429:TooManyRequests"
        QUOTA_EXCEEDED         = "429:TooManyRequests"
        REQUEST_TOO_LARGE      = "413:PayloadTooLarge"
        UNSUPPORTED_MEDIA_TYPE = "415:UnsupportedMediaType"
        BAD_REQUEST_BODY       = "400:BadRequest"
        BAD_REQUEST_PARAMETERS = "400:BadRequest"
        INTEGRATION_TIMEOUT    = "504:GatewayTimeout"
      } :
      "${jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-gateway-responses"][type].statusCode}:${jsondecode(replace(replace(jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-gateway-responses"][type].responseTemplates["application/json"], "$context.error.messageString", "\"m\""), "$context.requestId", "r")).error.code}" == code
    ])
    error_message = "Each gateway response must carry its status and contract error code."
  }

  assert {
    condition = (
      !can(jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-gateway-responses"]["DEFAULT_5XX"].statusCode) &&
      strcontains(jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-gateway-responses"]["DEFAULT_5XX"].responseTemplates["application/json"], "\"InternalError\"")
    )
    error_message = "DEFAULT_5XX keeps API Gateway's status and says InternalError."
  }

  assert {
    condition     = aws_api_gateway_deployment.this["edge"].triggers.redeployment == sha1(aws_api_gateway_rest_api.this["edge"].body)
    error_message = "A change of a gateway response (in the body) must redeploy: the trigger follows the whole body."
  }
}

run "api_gateway_s_own_429s_carry_retry_after" {
  command = plan

  assert {
    condition = alltrue([
      for api in ["edge", "regional"] : alltrue([
        for type in ["THROTTLED", "QUOTA_EXCEEDED"] :
        jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"][type].statusCode == "429" &&
        jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"][type].responseParameters == { "gatewayresponse.header.Retry-After" = "'1'" }
      ])
    ])
    error_message = "THROTTLED and QUOTA_EXCEEDED must answer 429 with a Retry-After header (the contract requires it on every 429)."
  }

  assert {
    condition = alltrue([
      for type, r in jsondecode(aws_api_gateway_rest_api.this["edge"].body)["x-amazon-apigateway-gateway-responses"] : !can(r.responseParameters)
      if !contains(["THROTTLED", "QUOTA_EXCEEDED"], type)
    ])
    error_message = "The other gateway responses add no headers."
  }
}

run "usage_plan_key_and_permissions" {
  command = plan

  assert {
    # (Both mocked APIs share one ID, so compare sets rather than count.)
    condition     = toset([for s in aws_api_gateway_usage_plan.this.api_stages : "${s.api_id}/${s.stage}"]) == toset([for k, a in aws_api_gateway_rest_api.this : "${a.id}/api"])
    error_message = "The usage plan must cover both stages."
  }

  assert {
    condition     = aws_api_gateway_api_key.this.enabled && aws_api_gateway_usage_plan_key.this.key_type == "API_KEY"
    error_message = "One enabled API key must be in the plan."
  }

  assert {
    condition = alltrue([
      for k, p in aws_lambda_permission.this :
      p.principal == "apigateway.amazonaws.com" && p.source_arn == "${aws_api_gateway_rest_api.this[k].execution_arn}/api/*"
    ])
    error_message = "Each API may invoke the function only through its own stage."
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 1
    error_message = "Account settings are managed by default."
  }
}

run "account_settings_can_be_left_alone" {
  command = plan

  variables {
    manage_account_settings = false
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 0 && length(aws_iam_role.cloudwatch) == 0
    error_message = "With manage_account_settings = false nothing region-wide is touched."
  }
}

run "stage_name_is_validated" {
  command = plan

  variables {
    stage_name = "not a stage"
  }

  expect_failures = [var.stage_name]
}

run "the_unqualified_function_by_default" {
  command = plan

  assert {
    condition     = alltrue([for k, p in aws_lambda_permission.this : p.qualifier == null])
    error_message = "Without lambda_qualifier the permissions are on the unqualified function."
  }

  assert {
    condition     = keys(output.integration_uris) == ["edge", "regional"] && alltrue([for k, uris in output.integration_uris : uris == tolist([var.lambda_invoke_arn])])
    error_message = "Both APIs integrate with the given invoke ARN."
  }
}

run "an_alias_is_integrated_and_permitted" {
  command = plan

  variables {
    lambda_invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:events-test-api:live/invocations"
    lambda_qualifier  = "live"
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this : alltrue(flatten([
        for item in values(jsondecode(a.body).paths) : [
          for method, operation in item : endswith(operation["x-amazon-apigateway-integration"].uri, ":function:events-test-api:live/invocations")
          if can(operation["x-amazon-apigateway-integration"])
        ]
      ]))
    ])
    error_message = "Every operation of both APIs must integrate with the alias."
  }

  assert {
    condition     = alltrue([for k, p in aws_lambda_permission.this : p.qualifier == "live" && p.function_name == "events-test-api"])
    error_message = "Each API's permission must be on the alias."
  }
}

run "a_qualifier_that_does_not_match_the_invoke_arn_is_rejected" {
  command = plan

  variables {
    lambda_qualifier = "live"
  }

  expect_failures = [var.lambda_qualifier]
}

run "an_invalid_qualifier_is_rejected" {
  command = plan

  variables {
    lambda_qualifier = "not live"
  }

  expect_failures = [var.lambda_qualifier]
}

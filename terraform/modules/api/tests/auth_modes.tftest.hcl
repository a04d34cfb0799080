# Plan-only tests of the api module's auth modes: the security of every
# operation in the rendered body, the authorizer only with cognito, SigV4 only
# with iam, and the API key in every mode.

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
  pool_arn             = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
}

run "api_key_by_default" {
  command = plan

  assert {
    condition     = output.auth_mode == "api_key"
    error_message = "api_key is the default auth_mode."
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this : (
        jsondecode(a.body).paths["/v1/things/{thing_id}"].get.security == [{ api_key = [] }] &&
        jsondecode(a.body).paths["/v1/things/{thing_id}"].delete.security == [{ api_key = [] }] &&
        jsondecode(a.body).paths["/v1/things/{thing_id}"]["x-amazon-apigateway-any-method"].security == [{ api_key = [] }] &&
        jsondecode(a.body).paths["/health"]["x-amazon-apigateway-any-method"].security == [{ api_key = [] }]
      )
    ])
    error_message = "Every secured operation, and every ANY method, needs the API key alone."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/health"].get.security == []
    error_message = "The health check stays open."
  }

  assert {
    condition     = keys(jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.securitySchemes) == ["api_key"]
    error_message = "Only the api_key scheme goes to API Gateway: no authorizer, no SigV4."
  }

  assert {
    condition     = !strcontains(aws_api_gateway_rest_api.this["edge"].body, "x-amazon-apigateway-authorizer") && !strcontains(aws_api_gateway_rest_api.this["edge"].body, "awsSigv4")
    error_message = "No authorizer and no SigV4 in api_key mode."
  }

  assert {
    condition     = aws_api_gateway_usage_plan_key.this.key_type == "API_KEY" && aws_api_gateway_api_key.this.enabled
    error_message = "The usage plan has its key."
  }
}

run "cognito_puts_one_user_pool_authorizer_in_both_apis" {
  command = plan

  variables {
    auth_mode             = "cognito"
    cognito_user_pool_arn = var.pool_arn
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this :
      jsondecode(a.body).components.securitySchemes.cognito == {
        type                             = "apiKey"
        in                               = "header"
        name                             = "Authorization"
        "x-amazon-apigateway-authtype"   = "cognito_user_pools"
        "x-amazon-apigateway-authorizer" = { type = "cognito_user_pools", providerARNs = [var.pool_arn] }
      }
    ])
    error_message = "Both APIs need the cognito scheme with a cognito_user_pools authorizer naming the pool."
  }

  assert {
    condition     = keys(jsondecode(aws_api_gateway_rest_api.this["regional"].body).components.securitySchemes) == ["api_key", "cognito"]
    error_message = "cognito mode sends the api_key and cognito schemes, not sigv4."
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this : (
        jsondecode(a.body).paths["/v1/things/{thing_id}"].get.security == [{ api_key = [], cognito = ["things/read"] }] &&
        jsondecode(a.body).paths["/v1/things/{thing_id}"].delete.security == [{ api_key = [], cognito = ["things/write", "things/admin"] }]
      )
    ])
    error_message = "Each secured operation needs the API key and a token with one of its own x-oauth-scopes."
  }

  assert {
    condition = alltrue([
      for path in ["/health", "/v1/things/{thing_id}"] :
      jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths[path]["x-amazon-apigateway-any-method"].security == [{ api_key = [], cognito = ["things/admin", "things/read", "things/write"] }]
    ])
    error_message = "An ANY method needs the key and a token with any of the contract's scopes."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this["edge"].body).paths["/health"].get.security == []
    error_message = "The health check stays open with cognito."
  }

  assert {
    condition     = !strcontains(aws_api_gateway_rest_api.this["edge"].body, "awsSigv4")
    error_message = "No SigV4 in cognito mode."
  }

  assert {
    condition     = output.oauth_scopes == tolist(["things/admin", "things/read", "things/write"])
    error_message = "oauth_scopes lists the contract's scopes, sorted."
  }

  assert {
    condition     = aws_api_gateway_usage_plan_key.this.key_type == "API_KEY"
    error_message = "API keys stay in the usage plan with cognito."
  }
}

run "iam_requires_sigv4_and_the_key" {
  command = plan

  variables {
    auth_mode = "iam"
  }

  assert {
    condition = alltrue([
      for k, a in aws_api_gateway_rest_api.this : (
        jsondecode(a.body).paths["/v1/things/{thing_id}"].get.security == [{ api_key = [], sigv4 = [] }] &&
        jsondecode(a.body).paths["/v1/things/{thing_id}"].delete.security == [{ api_key = [], sigv4 = [] }] &&
        jsondecode(a.body).paths["/v1/things/{thing_id}"]["x-amazon-apigateway-any-method"].security == [{ api_key = [], sigv4 = [] }] &&
        jsondecode(a.body).paths["/health"].get.security == []
      )
    ])
    error_message = "Each secured operation (and ANY) needs the API key and a SigV4 signature; the health check stays open."
  }

  assert {
    condition = jsondecode(aws_api_gateway_rest_api.this["edge"].body).components.securitySchemes == {
      api_key = { type = "apiKey", in = "header", name = "x-api-key" }
      sigv4   = { type = "apiKey", in = "header", name = "Authorization", "x-amazon-apigateway-authtype" = "awsSigv4" }
    }
    error_message = "iam mode sends the api_key scheme and the awsSigv4 one."
  }

  assert {
    condition     = !strcontains(aws_api_gateway_rest_api.this["edge"].body, "x-amazon-apigateway-authorizer")
    error_message = "No authorizer in iam mode."
  }

  assert {
    condition     = aws_api_gateway_usage_plan_key.this.key_type == "API_KEY"
    error_message = "API keys stay in the usage plan with iam."
  }
}

run "refusals_are_401_and_403_in_the_error_schema" {
  command = plan

  assert {
    condition = alltrue([
      for api in ["edge", "regional"] : (
        jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"]["UNAUTHORIZED"].statusCode == "401" &&
        strcontains(jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"]["UNAUTHORIZED"].responseTemplates["application/json"], "\"code\":\"Unauthorized\"") &&
        jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"]["INVALID_SIGNATURE"].statusCode == "403" &&
        jsondecode(aws_api_gateway_rest_api.this[api].body)["x-amazon-apigateway-gateway-responses"]["EXPIRED_TOKEN"].statusCode == "403"
      )
    ])
    error_message = "A refused token is a 401 Unauthorized, a bad or expired signature a 403, in the contract's Error shape."
  }
}

run "the_body_changes_with_the_mode" {
  command = plan

  variables {
    auth_mode             = "cognito"
    cognito_user_pool_arn = var.pool_arn
  }

  assert {
    condition     = output.body_sha1 != run.api_key_by_default.body_sha1 && output.body_sha1 != run.iam_requires_sigv4_and_the_key.body_sha1
    error_message = "A new mode is a new body, hence a new deployment."
  }
}

run "an_unknown_mode_is_refused" {
  command = plan

  variables {
    auth_mode = "oauth"
  }

  expect_failures = [var.auth_mode]
}

run "cognito_without_a_pool_is_refused" {
  command = plan

  variables {
    auth_mode = "cognito"
  }

  expect_failures = [var.cognito_user_pool_arn]
}

run "a_pool_arn_that_is_no_pool_is_refused" {
  command = plan

  variables {
    auth_mode             = "cognito"
    cognito_user_pool_arn = "arn:aws:iam::123456789012:role/pool"
  }

  expect_failures = [var.cognito_user_pool_arn]
}

run "cognito_needs_the_scheme_and_the_scopes_in_the_contract" {
  command = plan

  variables {
    openapi_path          = "tests/fixtures/openapi-api-key-only.yaml"
    auth_mode             = "cognito"
    cognito_user_pool_arn = var.pool_arn
  }

  expect_failures = [aws_api_gateway_rest_api.this]
}

run "iam_needs_the_sigv4_scheme_in_the_contract" {
  command = plan

  variables {
    openapi_path = "tests/fixtures/openapi-api-key-only.yaml"
    auth_mode    = "iam"
  }

  expect_failures = [aws_api_gateway_rest_api.this]
}

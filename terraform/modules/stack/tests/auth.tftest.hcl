# Plan-only tests of the stack's auth_mode wiring with a mocked AWS provider:
# the real contract, the user pool only with cognito, the mode reaching both APIs.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  environment     = "test"
  lambda_zip_path = "tests/fixtures/deployment.zip"
  openapi_path    = "../../../contracts/openapi.yaml"
}

run "api_keys_alone_by_default" {
  command = plan

  assert {
    condition     = output.auth_mode == "api_key" && module.api.auth_mode == "api_key"
    error_message = "api_key is the default auth_mode."
  }

  assert {
    condition     = length(module.auth) == 0 && output.cognito_user_pool_id == null && output.cognito_client_id == null && output.cognito_token_url == null
    error_message = "No user pool without auth_mode cognito."
  }

  assert {
    condition = alltrue(flatten([
      for path, item in jsondecode(module.api.openapi_bodies["regional"]).paths : [
        for method, operation in item : path == "/health" && method == "get" ? operation.security == [] : operation.security == [{ api_key = [] }]
      ]
    ]))
    error_message = "Every operation but GET /health needs the API key alone."
  }
}

run "cognito_provisions_a_pool_for_the_contract_s_scopes" {
  command = plan

  variables {
    auth_mode = "cognito"
  }

  assert {
    condition     = module.auth[0].scopes == tolist(["events/read", "events/write"]) && module.api.oauth_scopes == module.auth[0].scopes
    error_message = "The pool's resource server must offer exactly the contract's scopes."
  }

  assert {
    condition = alltrue([
      for path, item in jsondecode(module.api.openapi_bodies["regional"]).paths : alltrue([
        for method, operation in item : (
          path == "/health" && method == "get" ? operation.security == [] : (
            operation.security[0].api_key == [] &&
            length(operation.security[0].cognito) > 0 &&
            alltrue([for s in operation.security[0].cognito : contains(module.auth[0].scopes, s)])
          )
        )
      ])
    ])
    error_message = "Every operation but GET /health needs the API key and a token with a scope the pool offers."
  }

  assert {
    condition = (
      jsondecode(module.api.openapi_bodies["regional"]).paths["/v1/events"].post.security == [{ api_key = [], cognito = ["events/write"] }] &&
      jsondecode(module.api.openapi_bodies["regional"]).paths["/v1/events"].get.security == [{ api_key = [], cognito = ["events/read"] }]
    )
    error_message = "Writing needs events/write, reading events/read."
  }

  assert {
    condition     = jsondecode(module.api.openapi_bodies["regional"]).components.securitySchemes.cognito["x-amazon-apigateway-authorizer"].providerARNs == [module.auth[0].user_pool_arn]
    error_message = "Both APIs' authorizer must name the stack's pool."
  }

  assert {
    condition     = module.auth[0].token_url == "https://events-test-123456789012.auth.us-east-1.amazoncognito.com/oauth2/token"
    error_message = "The pool's domain defaults to <name>-<account id>."
  }

  assert {
    condition     = output.cognito_client_id == module.auth[0].client_id && output.cognito_token_url == module.auth[0].token_url && output.cognito_user_pool_id == module.auth[0].user_pool_id
    error_message = "The stack outputs what a client needs."
  }
}

run "cognito_domain_prefix_names_the_domain" {
  command = plan

  variables {
    auth_mode             = "cognito"
    cognito_domain_prefix = "events-test-tokens"
  }

  assert {
    condition     = module.auth[0].token_url == "https://events-test-tokens.auth.us-east-1.amazoncognito.com/oauth2/token"
    error_message = "cognito_domain_prefix names the pool's domain."
  }
}

run "iam_signs_every_secured_operation" {
  command = plan

  variables {
    auth_mode = "iam"
  }

  assert {
    condition = alltrue(flatten([
      for path, item in jsondecode(module.api.openapi_bodies["regional"]).paths : [
        for method, operation in item : path == "/health" && method == "get" ? operation.security == [] : operation.security == [{ api_key = [], sigv4 = [] }]
      ]
    ]))
    error_message = "Every operation but GET /health needs the API key and SigV4."
  }

  assert {
    condition     = length(module.auth) == 0 && !strcontains(join("", values(module.api.openapi_bodies)), "x-amazon-apigateway-authorizer")
    error_message = "No user pool and no authorizer with iam."
  }
}

run "an_unknown_auth_mode_is_refused" {
  command = plan

  variables {
    auth_mode = "none"
  }

  expect_failures = [var.auth_mode]
}

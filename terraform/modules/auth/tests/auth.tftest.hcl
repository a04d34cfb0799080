# Plan-only tests of the auth module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name          = "events-test"
  scopes        = ["events/write", "events/read", "events/read"]
  domain_prefix = "events-test-123456789012"
}

run "a_pool_for_machine_callers_only" {
  command = plan

  assert {
    condition     = aws_cognito_user_pool.this.name == "events-test" && aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only
    error_message = "The pool must not let anyone sign up."
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "INACTIVE"
    error_message = "Deletion protection is off by default."
  }
}

run "deletion_protection_can_be_turned_on" {
  command = plan

  variables {
    deletion_protection = true
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "ACTIVE"
    error_message = "deletion_protection = true must protect the pool."
  }
}

run "one_resource_server_with_the_contract_s_scopes" {
  command = plan

  assert {
    condition     = aws_cognito_resource_server.this.identifier == "events"
    error_message = "The resource server is the scopes' prefix."
  }

  assert {
    condition     = toset([for s in aws_cognito_resource_server.this.scope : s.scope_name]) == toset(["read", "write"])
    error_message = "The resource server must offer each scope once."
  }

  assert {
    condition     = output.scopes == tolist(["events/read", "events/write"])
    error_message = "The scopes output lists each scope once, sorted."
  }
}

run "a_machine_client_with_the_client_credentials_grant" {
  command = plan

  assert {
    condition = (
      aws_cognito_user_pool_client.machine.generate_secret &&
      aws_cognito_user_pool_client.machine.allowed_oauth_flows_user_pool_client &&
      aws_cognito_user_pool_client.machine.allowed_oauth_flows == toset(["client_credentials"]) &&
      aws_cognito_user_pool_client.machine.allowed_oauth_scopes == toset(["events/read", "events/write"])
    )
    error_message = "The machine client needs a secret, the client-credentials grant and every scope."
  }

  assert {
    condition     = aws_cognito_user_pool_client.machine.access_token_validity == 60 && aws_cognito_user_pool_client.machine.token_validity_units[0].access_token == "minutes"
    error_message = "Access tokens live 60 minutes by default."
  }

  assert {
    condition     = aws_cognito_user_pool_client.machine.enable_token_revocation && aws_cognito_user_pool_client.machine.prevent_user_existence_errors == "ENABLED"
    error_message = "Token revocation and user-existence error hiding must be on."
  }
}

run "outputs_say_where_to_get_a_token_and_never_the_secret" {
  command = plan

  assert {
    condition     = output.token_url == "https://events-test-123456789012.auth.us-east-1.amazoncognito.com/oauth2/token"
    error_message = "The token URL is the pool domain's /oauth2/token."
  }

  assert {
    condition     = output.issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123"
    error_message = "The issuer is the pool's cognito-idp URL."
  }

  assert {
    condition     = output.client_id == "1example23456789abcdefghij" && output.user_pool_arn == "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCdEf123"
    error_message = "The client id and the pool ARN are outputs."
  }
}

run "scopes_of_two_resource_servers_are_refused" {
  command = plan

  variables {
    scopes = ["events/read", "other/write"]
  }

  expect_failures = [var.scopes]
}

run "no_scopes_are_refused" {
  command = plan

  variables {
    scopes = []
  }

  expect_failures = [var.scopes]
}

run "a_malformed_scope_is_refused" {
  command = plan

  variables {
    scopes = ["events read"]
  }

  expect_failures = [var.scopes]
}

run "a_domain_prefix_cognito_reserves_is_refused" {
  command = plan

  variables {
    domain_prefix = "events-aws-test"
  }

  expect_failures = [var.domain_prefix]
}

run "an_upper_case_domain_prefix_is_refused" {
  command = plan

  variables {
    domain_prefix = "Events-test"
  }

  expect_failures = [var.domain_prefix]
}

run "a_token_lifetime_out_of_range_is_refused" {
  command = plan

  variables {
    access_token_validity_minutes = 2
  }

  expect_failures = [var.access_token_validity_minutes]
}

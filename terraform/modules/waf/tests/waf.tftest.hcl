# Plan-only tests of the waf module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name        = "events-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "a_regional_web_acl_that_allows_by_default" {
  command = plan

  assert {
    condition     = aws_wafv2_web_acl.this.scope == "REGIONAL" && aws_wafv2_web_acl.this.name == "events-test"
    error_message = "API Gateway stages take a REGIONAL web ACL."
  }

  assert {
    condition     = length(aws_wafv2_web_acl.this.default_action[0].allow) == 1 && length(aws_wafv2_web_acl.this.default_action[0].block) == 0
    error_message = "What no rule stops is allowed."
  }

  assert {
    condition     = output.rule_names == ["ip-reputation", "rate-limit", "known-bad-inputs", "common-rule-set"]
    error_message = "The rules, in order: IP reputation, the rate limit, known bad inputs, the common rule set."
  }

  assert {
    condition     = alltrue([for r in aws_wafv2_web_acl.this.rule : r.visibility_config[0].cloudwatch_metrics_enabled && r.visibility_config[0].sampled_requests_enabled])
    error_message = "Every rule must publish metrics and sampled requests."
  }
}

run "the_aws_managed_baselines" {
  command = plan

  assert {
    condition = toset(flatten([
      for r in aws_wafv2_web_acl.this.rule : [
        for s in r.statement[0].managed_rule_group_statement : "${s.vendor_name}/${s.name}"
      ]
    ])) == toset(["AWS/AWSManagedRulesAmazonIpReputationList", "AWS/AWSManagedRulesKnownBadInputsRuleSet", "AWS/AWSManagedRulesCommonRuleSet"])
    error_message = "The web ACL must use the AWS IP reputation list, known bad inputs and the common rule set."
  }

  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.this.rule : length(r.override_action[0].none) == 1 && length(r.override_action[0].count) == 0
      if length(r.statement[0].managed_rule_group_statement) > 0
    ])
    error_message = "The managed groups must block (override_action none), not merely count."
  }

  assert {
    condition = [
      for r in aws_wafv2_web_acl.this.rule : [
        for o in r.statement[0].managed_rule_group_statement[0].rule_action_override : "${o.name}:${length(o.action_to_use[0].count)}"
      ] if r.name == "common-rule-set"
    ] == [["SizeRestrictions_BODY:1"]]
    error_message = "SizeRestrictions_BODY (bodies over 8 KB) must only count: an event may carry 64 KiB of data."
  }
}

run "a_rate_limit_per_client_ip_answered_in_the_contract_s_shape" {
  command = plan

  assert {
    condition = [
      for r in aws_wafv2_web_acl.this.rule : {
        limit  = r.statement[0].rate_based_statement[0].limit
        window = r.statement[0].rate_based_statement[0].evaluation_window_sec
        key    = r.statement[0].rate_based_statement[0].aggregate_key_type
      } if r.name == "rate-limit"
    ] == [{ limit = 2000, window = 300, key = "IP" }]
    error_message = "The rate-based rule must count 2000 requests per client IP over 5 minutes by default."
  }

  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.this.rule :
      r.action[0].block[0].custom_response[0].response_code == 429 &&
      r.action[0].block[0].custom_response[0].custom_response_body_key == "too-many-requests" &&
      [for h in r.action[0].block[0].custom_response[0].response_header : "${h.name}: ${h.value}"] == ["Retry-After: 60"]
      if r.name == "rate-limit"
    ])
    error_message = "The rate limit must answer 429 with Retry-After, as the contract requires of every 429."
  }

  assert {
    condition = alltrue([
      for b in aws_wafv2_web_acl.this.custom_response_body :
      b.content_type == "APPLICATION_JSON" &&
      keys(jsondecode(b.content)) == ["error"] &&
      keys(jsondecode(b.content).error) == ["code", "message", "request_id"] &&
      jsondecode(b.content).error.code == "TooManyRequests"
    ])
    error_message = "The 429's body must be the contract's Error schema."
  }
}

run "the_rate_limit_is_set_by_variables" {
  command = plan

  variables {
    rate_limit                     = 100
    rate_limit_window_seconds      = 60
    rate_limit_retry_after_seconds = 30
  }

  assert {
    condition = alltrue([
      for r in aws_wafv2_web_acl.this.rule :
      r.statement[0].rate_based_statement[0].limit == 100 &&
      r.statement[0].rate_based_statement[0].evaluation_window_sec == 60 &&
      [for h in r.action[0].block[0].custom_response[0].response_header : "${h.name}: ${h.value}"] == ["Retry-After: 30"]
      if r.name == "rate-limit"
    ])
    error_message = "rate_limit, rate_limit_window_seconds and rate_limit_retry_after_seconds must reach the rule."
  }
}

run "a_rate_limit_below_aws_s_minimum_is_refused" {
  command = plan

  variables {
    rate_limit = 9
  }

  expect_failures = [var.rate_limit]
}

run "a_fractional_rate_limit_is_refused" {
  command = plan

  variables {
    rate_limit = 100.5
  }

  expect_failures = [var.rate_limit]
}

run "a_window_aws_does_not_offer_is_refused" {
  command = plan

  variables {
    rate_limit_window_seconds = 30
  }

  expect_failures = [var.rate_limit_window_seconds]
}

run "more_common_rules_can_count_only" {
  command = plan

  variables {
    common_rule_set_count_only = ["SizeRestrictions_BODY", "CrossSiteScripting_BODY"]
  }

  assert {
    condition = toset(flatten([
      for r in aws_wafv2_web_acl.this.rule : [
        for o in r.statement[0].managed_rule_group_statement[0].rule_action_override : o.name
      ] if r.name == "common-rule-set"
    ])) == toset(["SizeRestrictions_BODY", "CrossSiteScripting_BODY"])
    error_message = "Each rule named in common_rule_set_count_only must count."
  }
}

run "blocked_and_counted_requests_are_logged_without_the_api_key" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this[0].name == "aws-waf-logs-events-test" && aws_cloudwatch_log_group.this[0].kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this[0].retention_in_days == 365
    error_message = "WAF logs go to an encrypted aws-waf-logs-<name> group with a retention."
  }

  assert {
    condition     = aws_wafv2_web_acl_logging_configuration.this[0].log_destination_configs == toset([aws_cloudwatch_log_group.this[0].arn])
    error_message = "The web ACL must log to its log group."
  }

  assert {
    condition     = [for f in aws_wafv2_web_acl_logging_configuration.this[0].redacted_fields : f.single_header[0].name] == ["x-api-key"]
    error_message = "The x-api-key header must be redacted from the logs."
  }

  assert {
    condition = alltrue([
      for l in aws_wafv2_web_acl_logging_configuration.this[0].logging_filter :
      l.default_behavior == "DROP" &&
      toset(flatten([for f in l.filter : [for c in f.condition : c.action_condition[0].action] if f.behavior == "KEEP"])) == toset(["BLOCK", "COUNT"])
    ])
    error_message = "Only blocked and counted requests are kept."
  }

  assert {
    condition     = output.log_group_name == "aws-waf-logs-events-test"
    error_message = "log_group_name must name the log group."
  }
}

run "logging_can_be_turned_off" {
  command = plan

  variables {
    logging_enabled = false
  }

  assert {
    condition     = length(aws_cloudwatch_log_group.this) == 0 && length(aws_wafv2_web_acl_logging_configuration.this) == 0 && output.log_group_name == null
    error_message = "With logging_enabled = false there is no log group and no logging configuration."
  }
}

run "name_is_validated" {
  command = plan

  variables {
    name = "not a name"
  }

  expect_failures = [var.name]
}

################################################################################
# Web ACL: AWS managed baselines, then a per-IP rate limit
################################################################################

locals {
  # The rate-based rule's answer follows the contract: 429, Retry-After, and the
  # Error schema. WAF's templates have no request id, so it says where the answer
  # came from instead.
  too_many_requests_body = jsonencode({
    error = {
      code       = "TooManyRequests"
      message    = "Too many requests from this address; retry after the Retry-After seconds."
      request_id = "waf-rate-limit"
    }
  })
}

# The rules are written out one by one, in the order AWS WAF evaluates them
# (priority), so that each reads as it is and static checks (checkov's Log4j
# check on known-bad-inputs) see them. A managed group blocks on its own rules'
# actions (override_action none); a rule listed in common_rule_set_count_only
# only counts. Known bad IPs go first: they are the cheapest to refuse.
resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "${var.name}: AWS managed baselines and a per-IP rate limit in front of the API stages"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  custom_response_body {
    key          = "too-many-requests"
    content_type = "APPLICATION_JSON"
    content      = local.too_many_requests_body
  }

  rule {
    name     = "ip-reputation"
    priority = 0

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit"
    priority = 1

    action {
      block {
        custom_response {
          response_code            = 429
          custom_response_body_key = "too-many-requests"

          response_header {
            name  = "Retry-After"
            value = tostring(var.rate_limit_retry_after_seconds)
          }
        }
      }
    }

    statement {
      rate_based_statement {
        limit                 = var.rate_limit
        evaluation_window_sec = var.rate_limit_window_seconds
        aggregate_key_type    = "IP"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "known-bad-inputs"
    priority = 2

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "common-rule-set"
    priority = 3

    override_action {
      none {}
    }

    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesCommonRuleSet"
        dynamic "rule_action_override" {
          for_each = sort(var.common_rule_set_count_only)

          content {
            name = rule_action_override.value

            action_to_use {
              count {}
            }
          }
        }

      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common-rule-set"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

################################################################################
# Logging: what the web ACL blocks or counts, to an encrypted log group
################################################################################

# WAF delivers only to log groups whose name starts with aws-waf-logs-.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is each environment's choice (log_retention_in_days): the module default and prod keep 365 days; local, dev and staging keep 7, 30 and 90 to limit cost
  count = var.logging_enabled ? 1 : 0

  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  count = var.logging_enabled ? 1 : 0

  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.this[0].arn]

  # The API key is a credential: it never reaches the logs.
  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }

  # Allowed requests are the API's access logs' business; keep only what WAF
  # stopped or would have stopped.
  logging_filter {
    default_behavior = "DROP"

    filter {
      behavior    = "KEEP"
      requirement = "MEETS_ANY"

      condition {
        action_condition {
          action = "BLOCK"
        }
      }

      condition {
        action_condition {
          action = "COUNT"
        }
      }
    }
  }
}

variable "name" {
  description = "Name of the web ACL, e.g. \"events-prod\"; also the prefix of its metric names and the suffix of its log group (aws-waf-logs-<name>). 1 to 100 letters, digits, hyphens or underscores."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,100}$", var.name))
    error_message = "name must be 1 to 100 letters, digits, hyphens or underscores."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Rules
################################################################################

variable "rate_limit" {
  description = "Requests one client IP address may make in rate_limit_window_seconds before the rate-based rule blocks it (429 with Retry-After) until its rate falls back under the limit. AWS WAF accepts 10 to 2,000,000,000."
  type        = number
  default     = 2000

  validation {
    condition     = var.rate_limit >= 10 && var.rate_limit <= 2000000000 && floor(var.rate_limit) == var.rate_limit
    error_message = "rate_limit must be a whole number from 10 to 2000000000."
  }
}

variable "rate_limit_window_seconds" {
  description = "Window over which rate_limit is counted: 60, 120, 300 or 600 seconds (AWS WAF's choices)."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 120, 300, 600], var.rate_limit_window_seconds)
    error_message = "rate_limit_window_seconds must be 60, 120, 300 or 600."
  }
}

variable "rate_limit_retry_after_seconds" {
  description = "Retry-After of the 429 the rate-based rule answers, in seconds (the contract requires the header on every 429). At least 1."
  type        = number
  default     = 60

  validation {
    condition     = var.rate_limit_retry_after_seconds >= 1 && floor(var.rate_limit_retry_after_seconds) == var.rate_limit_retry_after_seconds
    error_message = "rate_limit_retry_after_seconds must be a whole number of at least 1."
  }
}

variable "common_rule_set_count_only" {
  description = "Rules of the AWS managed common rule set (AWSManagedRulesCommonRuleSet) that only count instead of blocking. SizeRestrictions_BODY by default: it blocks every body over 8 KB, and an event's data may be up to 64 KiB (the function enforces that limit)."
  type        = set(string)
  default     = ["SizeRestrictions_BODY"]

  validation {
    condition     = alltrue([for rule in var.common_rule_set_count_only : can(regex("^[A-Za-z0-9_]{1,128}$", rule))])
    error_message = "common_rule_set_count_only must hold rule names: 1 to 128 letters, digits or underscores each."
  }
}

################################################################################
# Logging
################################################################################

variable "logging_enabled" {
  description = "Log the requests the web ACL blocks or counts (not those it allows, to keep the volume and the cost down) to the CloudWatch log group aws-waf-logs-<name>, with the x-api-key header redacted."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the log group. Its policy must allow the CloudWatch Logs service principal."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the log group in days (one of the values CloudWatch Logs accepts; 0 keeps logs forever)."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 for never expire)."
  }
}

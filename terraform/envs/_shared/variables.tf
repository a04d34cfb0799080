################################################################################
# Provider
################################################################################

variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "us-east-1"
}

variable "allowed_account_ids" {
  description = "Accounts this root may touch (12-digit ids); the provider refuses any other. Required, without a default, so that no root can reach an account by accident: set it in terraform.tfvars or as TF_VAR_allowed_account_ids (the nightly workflow does). Only the local root sets null (any account: the emulator's, 123456789012 in moto, 000000000000 in LocalStack)."
  type        = list(string)

  validation {
    condition     = var.allowed_account_ids == null ? var.environment == "local" : length(var.allowed_account_ids) > 0 && alltrue([for id in var.allowed_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "allowed_account_ids must list the 12-digit ids of the accounts this root may touch (only the local root may set null)."
  }
}

################################################################################
# Stack (null means the stack module's default)
################################################################################

variable "name_prefix" {
  description = "First part of every resource name; change it to rename everything. null means the stack's default (events)."
  type        = string
  default     = null
}

variable "environment" {
  description = "Environment name, the second part of every resource name."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource; null means none."
  type        = map(string)
  default     = null
}

variable "lambda_zip_path" {
  description = "Lambda deployment package; null means build/lambda/deployment.zip of this repository (`make build`)."
  type        = string
  default     = null
}

variable "openapi_path" {
  description = "OpenAPI contract; null means contracts/openapi.yaml of this repository."
  type        = string
  default     = null
}

variable "functions" {
  description = "Overrides of the functions' sizes, keyed by short name (api, publisher, processor, sequencer, analytics, notifier, reconciler): memory_size, timeout, reserved_concurrency. Only what is named changes; everything else keeps the stack's per-function defaults. null means no overrides."
  type = map(object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  }))
  default = null
}

variable "lambda_concurrency_quota" {
  description = "The account's Lambda concurrent executions quota in this region (the stack assumes the default, 1000); the functions' reserved concurrency must leave 100 of it unreserved."
  type        = number
  default     = null
}

variable "runtime" {
  description = "Lambda runtime of every function; null means the stack's default (python3.13). The stack refuses any runtime not in modules/functions/runtimes.json (python3.11 and older run on Amazon Linux 2, whose support ended on 30 June 2026)."
  type        = string
  default     = null
}

variable "architecture" {
  description = "Instruction set of every function: arm64 (Graviton) or x86_64; null means the stack's default (arm64)."
  type        = string
  default     = null

  validation {
    condition     = var.architecture == null ? true : contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64 (or null for the stack's default, arm64)."
  }
}

variable "api_snapstart" {
  description = "SnapStart for the api function (both APIs then invoke its alias \"live\"); off by default: see the stack module's api_snapstart."
  type        = bool
  default     = null
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of every function."
  type        = string
  default     = null
}

variable "log_retention_in_days" {
  description = "Retention of every log group in days."
  type        = number
  default     = null
}

variable "table_deletion_protection" {
  description = "Protect the events table from deletion."
  type        = bool
  default     = null
}

variable "message_retention_seconds" {
  description = "How long the work queues keep a message, 60 to 1209600 seconds."
  type        = number
  default     = null
}

variable "stream_mode" {
  description = "Kinesis capacity mode: ON_DEMAND or PROVISIONED."
  type        = string
  default     = null
}

variable "stream_shard_count" {
  description = "Kinesis shards when stream_mode is PROVISIONED."
  type        = number
  default     = null
}

variable "stream_retention_period" {
  description = "Hours a Kinesis record stays readable, 24 to 8760."
  type        = number
  default     = null
}

variable "stream_parallelization_factor" {
  description = "Batches each stream shard feeds at once to its function, 1 to 10 (order kept per subject)."
  type        = number
  default     = null
}

variable "stream_batch_size" {
  description = "Records per invocation of the stream consumers, 1 to 1000."
  type        = number
  default     = null
}

variable "queue_batch_size" {
  description = "Messages per invocation of the SQS consumers, 1 to 10."
  type        = number
  default     = null
}

variable "fifo_high_throughput" {
  description = "High-throughput FIFO: limits per message group on the FIFO topic and queue instead of topic-wide and queue-wide."
  type        = bool
  default     = null
}

variable "emulator_workarounds" {
  description = "Local emulator only: settings to leave out because the emulator cannot round-trip them (see the stack module)."
  type        = set(string)
  default     = null
}

variable "stage_name" {
  description = "Stage of both REST APIs."
  type        = string
  default     = null
}

variable "auth_mode" {
  description = "How API callers are authenticated: api_key (the default), cognito (also an OAuth2 access token of the stack's user pool) or iam (also SigV4); the API key stays required in every mode."
  type        = string
  default     = null

  validation {
    condition     = var.auth_mode == null ? true : contains(["api_key", "cognito", "iam"], var.auth_mode)
    error_message = "auth_mode must be api_key, cognito or iam (or null for the stack's default, api_key)."
  }
}

variable "cognito_domain_prefix" {
  description = "With auth_mode cognito: prefix of the user pool's domain (its token endpoint); null means \"<name_prefix>-<environment>-<account id>\"."
  type        = string
  default     = null
}

variable "api_logging_level" {
  description = "Execution logging level of the API stages: OFF, ERROR or INFO."
  type        = string
  default     = null
}

variable "api_throttling_rate_limit" {
  description = "Requests per second per stage and per API key."
  type        = number
  default     = null
}

variable "api_throttling_burst_limit" {
  description = "Burst above the rate per stage and per API key."
  type        = number
  default     = null
}

variable "api_public_rate_limit" {
  description = "Requests per second per stage on each operation that needs no API key (GET /health)."
  type        = number
  default     = null
}

variable "api_public_burst_limit" {
  description = "Burst above the public rate per stage on each operation that needs no API key."
  type        = number
  default     = null
}

variable "api_quota_limit" {
  description = "Requests per day per API key; null for no quota."
  type        = number
  default     = null
}

variable "manage_api_gateway_account" {
  description = "Create and set the region-wide API Gateway CloudWatch role from this stack; null means the stack's default (false: leave the region's setting alone)."
  type        = bool
  default     = null
}

variable "role_permissions_boundary" {
  description = "ARN of the IAM policy set as the permissions boundary of every role the stack creates; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be the ARN of an IAM policy (arn:<partition>:iam::<account>:policy/<path><name>) or null."
  }
}

variable "code_signing_config_arn" {
  description = "ARN of a Lambda code signing configuration attached to every function; null for none (see the stack module)."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null ? true : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be the ARN of a Lambda code signing configuration (arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<17 characters>) or null."
  }
}

variable "web_acl_arn" {
  description = "WAFv2 web ACL (REGIONAL, in this region) to associate with both API stages; null for none, or for the stack's own with waf_enabled."
  type        = string
  default     = null
}

variable "waf_enabled" {
  description = "Create the stack's baseline web ACL and associate it with both API stages, unless web_acl_arn names one."
  type        = bool
  default     = null
}

variable "waf_rate_limit" {
  description = "Requests one client IP may make in 5 minutes before the stack's web ACL blocks it."
  type        = number
  default     = null
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic."
  type        = list(string)
  default     = null
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the stack's KMS key is deleted, 7 to 30 days."
  type        = number
  default     = null
}

variable "max_receive_count" {
  description = "Receives of a work-queue message before it moves to the DLQ, 1 to 1000."
  type        = number
  default     = null
}

variable "visibility_timeout_multiplier" {
  description = "Work-queue visibility timeout as a multiple of its consumer's timeout, 1 to 12."
  type        = number
  default     = null
}

variable "reconcile_schedule_expression" {
  description = "EventBridge schedule of the reconciler: rate(...) or cron(...)."
  type        = string
  default     = null
}

variable "reconcile_after_seconds" {
  description = "Age in seconds (at least 60) after which the reconciler repairs an entry still pending."
  type        = number
  default     = null
}

################################################################################
# Naming and tags
################################################################################

variable "name_prefix" {
  description = "First part of every resource name (\"<name_prefix>-<environment>-...\"). A fork renames everything by changing this one value."
  type        = string
  nullable    = false
  default     = "events"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name_prefix))
    error_message = "name_prefix must be 2 to 20 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (local, dev, staging, prod, ...), the second part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2 to 10 lower-case letters or digits, starting with a letter."
  }
}

variable "tags" {
  description = "Tags applied to every resource of every module."
  type        = map(string)
  nullable    = false
  default     = {}
}

################################################################################
# Inputs built elsewhere
################################################################################

variable "lambda_zip_path" {
  description = "Path of the Lambda deployment package shared by every function (`make build` writes build/lambda/deployment.zip)."
  type        = string
}

variable "openapi_path" {
  description = "Path of the OpenAPI contract both REST APIs are built from (contracts/openapi.yaml)."
  type        = string
}

################################################################################
# Functions
################################################################################

variable "functions" {
  description = "The service's functions keyed by short name: Chalice handler, memory (128 to 10240 MB), timeout (1 to 900 s), reserved concurrency (null leaves it unreserved). All seven keys must be present; their triggers, environment and permissions are wired by this module."
  type = map(object({
    handler              = string
    memory_size          = optional(number, 256)
    timeout              = optional(number, 15)
    reserved_concurrency = optional(number)
  }))
  nullable = false
  default = {
    api        = { handler = "app.app" }
    publisher  = { handler = "app.publisher" }
    processor  = { handler = "app.processor" }
    sequencer  = { handler = "app.sequencer" }
    analytics  = { handler = "app.analytics" }
    notifier   = { handler = "app.notifier" }
    reconciler = { handler = "app.reconciler", timeout = 60 }
  }

  validation {
    condition = (
      length(setsubtract(keys(var.functions), ["api", "publisher", "processor", "sequencer", "analytics", "notifier", "reconciler"])) == 0 &&
      length(setsubtract(["api", "publisher", "processor", "sequencer", "analytics", "notifier", "reconciler"], keys(var.functions))) == 0
    )
    error_message = "functions must have exactly the keys api, publisher, processor, sequencer, analytics, notifier and reconciler (a new function needs its wiring added to the stack module)."
  }

  validation {
    condition     = try(var.functions["api"].timeout, 0) <= 29
    error_message = "The api function's timeout must be at most 29 seconds, API Gateway's integration timeout."
  }
}

variable "runtime" {
  description = "Lambda runtime; must match the Python that built the zip."
  type        = string
  nullable    = false
  default     = "python3.11"
}

variable "architecture" {
  description = "Instruction set of the functions: x86_64 or arm64 (must match the zip's native wheels)."
  type        = string
  nullable    = false
  default     = "x86_64"
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of every function: DEBUG, INFO, WARNING, ERROR or CRITICAL."
  type        = string
  nullable    = false
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "log_retention_in_days" {
  description = "Retention of every log group (functions, API access and execution logs, VPC flow logs) in days."
  type        = number
  nullable    = false
  default     = 365
}

################################################################################
# Network
################################################################################

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC, /16 to /24."
  type        = string
  nullable    = false
  default     = "10.20.0.0/16"
}

variable "az_count" {
  description = "Availability zones (one private subnet each), 2 to 6."
  type        = number
  nullable    = false
  default     = 2
}

variable "availability_zones" {
  description = "Exact availability zone names for the private subnets (at least two); empty means the first az_count of the region's zones a to f."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "flow_logs_enabled" {
  description = "Send VPC flow logs to an encrypted log group."
  type        = bool
  nullable    = false
  default     = true
}

################################################################################
# Data
################################################################################

variable "table_billing_mode" {
  description = "Billing mode of the events table: PAY_PER_REQUEST (on demand) or PROVISIONED."
  type        = string
  nullable    = false
  default     = "PAY_PER_REQUEST"
}

variable "table_deletion_protection" {
  description = "Protect the events table from deletion (true in prod)."
  type        = bool
  nullable    = false
  default     = false
}

variable "table_point_in_time_recovery" {
  description = "Point-in-time recovery of the events table."
  type        = bool
  nullable    = false
  default     = true
}

################################################################################
# Messaging
################################################################################

variable "message_retention_seconds" {
  description = "How long the work queues keep a message, 60 to 1209600 seconds (14 days). Default 345600 (4 days)."
  type        = number
  nullable    = false
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be from 60 to 1209600 seconds (14 days)."
  }
}

variable "max_receive_count" {
  description = "Receives of a message before it moves to its queue's DLQ, 1 to 1000."
  type        = number
  nullable    = false
  default     = 3
}

variable "visibility_timeout_multiplier" {
  description = "Work-queue visibility timeout as a multiple of its consumer's timeout, 1 to 12. AWS recommends 6, which leaves room for retries of a throttled batch."
  type        = number
  nullable    = false
  default     = 6

  validation {
    condition     = var.visibility_timeout_multiplier >= 1 && var.visibility_timeout_multiplier <= 12
    error_message = "visibility_timeout_multiplier must be from 1 to 12."
  }
}

variable "queue_batch_size" {
  description = "Messages per invocation of the SQS consumers, 1 to 10 (the FIFO queue allows at most 10)."
  type        = number
  nullable    = false
  default     = 10

  validation {
    condition     = var.queue_batch_size >= 1 && var.queue_batch_size <= 10
    error_message = "queue_batch_size must be from 1 to 10."
  }
}

################################################################################
# Streaming and stream mappings
################################################################################

variable "stream_mode" {
  description = "Kinesis capacity mode: ON_DEMAND or PROVISIONED."
  type        = string
  nullable    = false
  default     = "ON_DEMAND"
}

variable "stream_shard_count" {
  description = "Kinesis shards when stream_mode is PROVISIONED."
  type        = number
  nullable    = false
  default     = 1
}

variable "stream_retention_period" {
  description = "Hours a Kinesis record stays readable, 24 to 8760."
  type        = number
  nullable    = false
  default     = 24
}


variable "stream_batch_size" {
  description = "Records per invocation of the stream consumers (publisher from DynamoDB, analytics from Kinesis), 1 to 10000 (DynamoDB streams: at most 1000)."
  type        = number
  nullable    = false
  default     = 100

  validation {
    condition     = var.stream_batch_size >= 1 && var.stream_batch_size <= 1000
    error_message = "stream_batch_size must be from 1 to 1000."
  }
}

variable "stream_starting_position" {
  description = "Where a new stream mapping starts: TRIM_HORIZON (oldest record still kept: nothing written before the mapping is lost; consumers are idempotent) or LATEST."
  type        = string
  nullable    = false
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.stream_starting_position)
    error_message = "stream_starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "stream_maximum_retry_attempts" {
  description = "Retries of a failing stream batch before it goes to the on-failure queue, 0 to 10000."
  type        = number
  nullable    = false
  default     = 3

  validation {
    condition     = var.stream_maximum_retry_attempts >= 0 && var.stream_maximum_retry_attempts <= 10000
    error_message = "stream_maximum_retry_attempts must be from 0 to 10000."
  }
}

variable "stream_bisect_batch_on_function_error" {
  description = "Split a failing stream batch in two and retry each half, isolating the bad record."
  type        = bool
  nullable    = false
  default     = true
}

variable "stream_maximum_batching_window_in_seconds" {
  description = "Seconds a stream mapping may wait to fill a batch, 0 to 300."
  type        = number
  nullable    = false
  default     = 0

  validation {
    condition     = var.stream_maximum_batching_window_in_seconds >= 0 && var.stream_maximum_batching_window_in_seconds <= 300
    error_message = "stream_maximum_batching_window_in_seconds must be from 0 to 300."
  }
}

################################################################################
# Reconciler
################################################################################

variable "reconcile_schedule_expression" {
  description = "EventBridge schedule of the reconciler: rate(...) or cron(...)."
  type        = string
  nullable    = false
  default     = "rate(5 minutes)"
}

variable "reconcile_after_seconds" {
  description = "Age in seconds after which an event still marked pending is re-published by the reconciler."
  type        = number
  nullable    = false
  default     = 300

  validation {
    condition     = var.reconcile_after_seconds >= 60
    error_message = "reconcile_after_seconds must be at least 60."
  }
}

################################################################################
# API
################################################################################

variable "stage_name" {
  description = "Stage of both REST APIs (first path segment of the invoke URLs). \"api\" follows Chalice; the contract's paths carry the version."
  type        = string
  nullable    = false
  default     = "api"
}

variable "api_logging_level" {
  description = "Execution logging level of the API stages: OFF, ERROR or INFO."
  type        = string
  nullable    = false
  default     = "ERROR"
}

variable "api_throttling_rate_limit" {
  description = "Requests per second per stage and per API key."
  type        = number
  nullable    = false
  default     = 100
}

variable "api_throttling_burst_limit" {
  description = "Burst above the rate per stage and per API key."
  type        = number
  nullable    = false
  default     = 50
}

variable "api_quota_limit" {
  description = "Requests per day per API key; null for no quota."
  type        = number
  default     = null
}

variable "manage_api_gateway_account" {
  description = "Set the region-wide API Gateway CloudWatch role (needed once per account and region for stage logging). Set false in all but one stack sharing an account and region."
  type        = bool
  nullable    = false
  default     = true
}

variable "web_acl_arn" {
  description = "WAFv2 web ACL (REGIONAL scope) to associate with both stages; null for none."
  type        = string
  default     = null
}

################################################################################
# Observability
################################################################################

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic."
  type        = list(string)
  nullable    = false
  default     = []
}

################################################################################
# Encryption
################################################################################

variable "kms_deletion_window_in_days" {
  description = "Waiting period before the stack's KMS key is deleted after destroy, 7 to 30 days."
  type        = number
  nullable    = false
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be from 7 to 30."
  }
}

################################################################################
# Local emulator
################################################################################

variable "emulator_workarounds" {
  description = <<-EOT
    Settings to leave out because a local emulator cannot round-trip them (a second plan would never be empty).
    Never set on AWS. Known for moto 5.2:
    "kinesis_stream_tags" (tags given at stream creation are dropped),
    "sqs_redrive_allow_policy" (stored but never returned, Terraform waits forever),
    "lambda_dead_letter_config" (not stored),
    "security_group_rule_descriptions" (not returned for rules that reference a group or prefix list).
  EOT
  type        = set(string)
  nullable    = false
  default     = []

  validation {
    condition     = length(setsubtract(var.emulator_workarounds, ["kinesis_stream_tags", "sqs_redrive_allow_policy", "lambda_dead_letter_config", "security_group_rule_descriptions"])) == 0
    error_message = "emulator_workarounds may only hold kinesis_stream_tags, sqs_redrive_allow_policy, lambda_dead_letter_config and security_group_rule_descriptions."
  }
}

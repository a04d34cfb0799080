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
  description = "Overrides of the functions' sizes, keyed by short name (api, publisher, processor, sequencer, analytics, notifier, reconciler); an attribute left out or null keeps the stack's default (local.function_defaults in main.tf, with the reason for each). memory_size 128 to 10240 MB; timeout 1 to 900 s (api at most 29, API Gateway's integration timeout; publisher and reconciler at least 60); reserved_concurrency null (unreserved) or a whole number from 0, at least 2 for the SQS consumers (processor, sequencer), and all of them together at most lambda_concurrency_quota minus the 100 Lambda keeps unreserved. Handlers, triggers, environment and permissions are wired by this module."
  type = map(object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  }))
  nullable = false
  default  = {}

  validation {
    condition     = length(setsubtract(keys(var.functions), keys(local.function_defaults))) == 0
    error_message = "functions may only override api, publisher, processor, sequencer, analytics, notifier and reconciler (a new function needs its defaults and wiring added to the stack module)."
  }

  # The conditions below check the effective settings (an override, else the
  # stack's default), computed from var.functions itself: a validation must
  # read the variable it validates. The defaults reserve no concurrency, so a
  # function's effective reserved concurrency is its override's.
  validation {
    condition = alltrue([
      for m in [for k, d in local.function_defaults : coalesce(try(var.functions[k].memory_size, null), d.memory_size)] :
      m >= 128 && m <= 10240 && floor(m) == m
    ])
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }

  validation {
    condition = alltrue([
      for s in [for k, d in local.function_defaults : coalesce(try(var.functions[k].timeout, null), d.timeout)] :
      s >= 1 && s <= 900 && floor(s) == s
    ])
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }

  validation {
    condition     = coalesce(try(var.functions["api"].timeout, null), local.function_defaults["api"].timeout) <= 29
    error_message = "The api function's timeout must be at most 29 seconds, API Gateway's integration timeout."
  }

  validation {
    condition     = coalesce(try(var.functions["publisher"].timeout, null), local.function_defaults["publisher"].timeout) >= 60
    error_message = "The publisher's timeout must be at least 60 seconds: it stops before a call whose worst case (27 s with the SDK settings of chalicelib/aws.py: 3 attempts of 2 s connect and 5 s read, plus backoff) might not finish, so its timeout must leave room for at least two such calls."
  }

  validation {
    condition     = coalesce(try(var.functions["reconciler"].timeout, null), local.function_defaults["reconciler"].timeout) >= 60
    error_message = "The reconciler's timeout must be at least 60 seconds: before each repair it checks that a call's worst case (27 s) still fits, so a shorter run repairs next to nothing."
  }

  validation {
    condition = alltrue([
      for r in [for k in keys(local.function_defaults) : try(var.functions[k].reserved_concurrency, null)] :
      r == null ? true : r >= 0 && floor(r) == r
    ])
    error_message = "reserved_concurrency must be null (unreserved) or a whole number of at least 0."
  }

  validation {
    condition = alltrue([
      for r in [for k in ["processor", "sequencer"] : try(var.functions[k].reserved_concurrency, null)] : r == null ? true : r >= 2
    ])
    error_message = "The SQS consumers (processor, sequencer) need reserved_concurrency null or at least 2: their queue mapping's maximum_concurrency is set to it, so Lambda never throttles a receive (which counts toward maxReceiveCount), and maximum_concurrency cannot be below 2."
  }

  validation {
    condition     = sum(concat([0], [for k in keys(local.function_defaults) : coalesce(try(var.functions[k].reserved_concurrency, null), 0)])) <= var.lambda_concurrency_quota - 100
    error_message = "The functions' reserved concurrency adds up to ${sum(concat([0], [for k in keys(local.function_defaults) : coalesce(try(var.functions[k].reserved_concurrency, null), 0)]))}, more than lambda_concurrency_quota (${var.lambda_concurrency_quota}) minus the 100 Lambda keeps unreserved."
  }
}

variable "lambda_concurrency_quota" {
  description = "The account's Lambda concurrent executions quota in this region: 1000 by default, raised by a Service Quotas request. The functions' reserved concurrency must add up to at most this minus 100 (Lambda keeps 100 unreserved). Other stacks in the account reserve from the same quota."
  type        = number
  nullable    = false
  default     = 1000

  validation {
    condition     = var.lambda_concurrency_quota >= 100 && floor(var.lambda_concurrency_quota) == var.lambda_concurrency_quota
    error_message = "lambda_concurrency_quota must be a whole number of at least 100."
  }
}

variable "runtime" {
  description = "Lambda runtime of every function: one of the Python runtimes in ../functions/runtimes.json (the Amazon Linux 2023 ones Lambda lets you create). Must match the Python that built the zip. python3.14 needs AWS provider 6.20 or later (5.x rejects it)."
  type        = string
  nullable    = false
  default     = "python3.13"

  validation {
    condition     = contains(local.python_runtimes, var.runtime)
    error_message = "runtime must be a Python runtime Lambda lets you create today: ${join(", ", local.python_runtimes)} (Amazon Linux 2023; runtimes.json, checked ${local.runtimes.checked}). ${local.runtimes.retired}"
  }
}

variable "architecture" {
  description = "Instruction set of the functions: arm64 (Graviton, the default: lower price per GB-second) or x86_64. Must match the zip's native wheels."
  type        = string
  nullable    = false
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "api_snapstart" {
  description = "SnapStart for the api function: publish a version on every change, snapshot it, and have both REST APIs invoke its alias \"live\". Off by default: SnapStart for Python is billed per cached snapshot and per restore, and the cold start it removes is small (see the cost model in the README for the figures). Needs python3.12 or later; Lambda does not offer it in ap-east-2 and ap-southeast-6 (runtimes.json)."
  type        = bool
  nullable    = false
  default     = false

  validation {
    condition     = !var.api_snapstart || contains(local.snapstart_runtimes, var.runtime)
    error_message = "api_snapstart needs a runtime that supports SnapStart: ${join(", ", local.snapstart_runtimes)} (runtimes.json)."
  }
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
  description = "Receives of a message before it moves to its queue's DLQ (redrive maxReceiveCount), 1 to 1000."
  type        = number
  nullable    = false
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
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

variable "fifo_high_throughput" {
  description = "High-throughput FIFO: the FIFO topic's throughput and deduplication scope becomes MessageGroup, and the FIFO queue deduplicates and throttles per message group (messageGroup, perMessageGroupId), so ordering lanes (subjects) no longer share one topic-wide and queue-wide limit. false leaves the AWS defaults (Topic scope, queue-wide limits) by not setting the arguments; switching back to false leaves the last values in place on AWS."
  type        = bool
  nullable    = false
  default     = false
}

variable "queue_batch_size" {
  description = "Messages per invocation of the SQS consumers, 1 to 10 (a FIFO queue's mapping allows at most 10; the standard queue shares the setting)."
  type        = number
  nullable    = false
  default     = 10

  validation {
    condition     = var.queue_batch_size >= 1 && var.queue_batch_size <= 10 && floor(var.queue_batch_size) == var.queue_batch_size
    error_message = "queue_batch_size must be a whole number from 1 to 10."
  }
}

################################################################################
# Streaming and stream mappings
################################################################################

variable "stream_mode" {
  description = "Kinesis capacity mode: ON_DEMAND (scales by itself, billed per GB and stream-hour) or PROVISIONED (stream_shard_count shards, billed per shard-hour)."
  type        = string
  nullable    = false
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "stream_shard_count" {
  description = "Kinesis shards when stream_mode is PROVISIONED (ignored on demand), 1 to 10000: UpdateShardCount stops at 10000 shards per stream by default (the account's default shard quota is 20000 in us-east-1, us-west-2 and eu-west-1, 1000 or 6000 elsewhere). Each shard takes 1 MB/s or 1000 records/s of writes."
  type        = number
  nullable    = false
  default     = 1

  validation {
    condition     = var.stream_shard_count >= 1 && var.stream_shard_count <= 10000 && floor(var.stream_shard_count) == var.stream_shard_count
    error_message = "stream_shard_count must be a whole number from 1 to 10000."
  }
}

variable "stream_retention_period" {
  description = "Hours a Kinesis record stays readable, 24 to 8760 (365 days). Above 24 hours costs extra."
  type        = number
  nullable    = false
  default     = 24

  validation {
    condition     = var.stream_retention_period >= 24 && var.stream_retention_period <= 8760 && floor(var.stream_retention_period) == var.stream_retention_period
    error_message = "stream_retention_period must be a whole number of hours from 24 to 8760."
  }
}

variable "stream_batch_size" {
  description = "Records per invocation of the stream consumers (publisher from DynamoDB, analytics from Kinesis), 1 to 10000 (DynamoDB streams: at most 1000)."
  type        = number
  nullable    = false
  default     = 100

  validation {
    condition     = var.stream_batch_size >= 1 && var.stream_batch_size <= 1000 && floor(var.stream_batch_size) == var.stream_batch_size
    error_message = "stream_batch_size must be a whole number from 1 to 1000 (a DynamoDB stream mapping takes at most 1000)."
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

variable "stream_parallelization_factor" {
  description = "Batches each stream shard feeds at once to its function (the publisher on the table stream, analytics on Kinesis), 1 to 10. Lambda keeps the order of records with the same partition key (a subject's events) at any factor, so it lifts a shard's throughput without reordering a subject. Default 1."
  type        = number
  nullable    = false
  default     = 1

  validation {
    condition     = var.stream_parallelization_factor >= 1 && var.stream_parallelization_factor <= 10 && floor(var.stream_parallelization_factor) == var.stream_parallelization_factor
    error_message = "stream_parallelization_factor must be a whole number from 1 to 10."
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

variable "stream_maximum_record_age_in_seconds" {
  description = "Age in seconds at which both stream mappings (publisher on the table stream, analytics on Kinesis) stop retrying a record and send it to the stream failure queue, 60 to 79200 (22 hours) and at most stream_retention_period minus 2 hours. The failure queue's messages hold only coordinates (stream, shard, sequence numbers); `make replay-failures` reads the records back from the stream, so the age must stay well below the streams' retention: DynamoDB Streams keep records 24 hours, the Kinesis stream stream_retention_period hours. Default 21600 (6 hours)."
  type        = number
  nullable    = false
  default     = 21600

  validation {
    condition     = var.stream_maximum_record_age_in_seconds >= 60 && var.stream_maximum_record_age_in_seconds <= 79200 && floor(var.stream_maximum_record_age_in_seconds) == var.stream_maximum_record_age_in_seconds
    error_message = "stream_maximum_record_age_in_seconds must be a whole number from 60 to 79200 (22 hours): DynamoDB Streams keep records 24 hours, and a failed record must still be there to be replayed."
  }

  validation {
    condition     = var.stream_maximum_record_age_in_seconds <= (var.stream_retention_period - 2) * 3600
    error_message = "stream_maximum_record_age_in_seconds must be at most stream_retention_period minus 2 hours (${(var.stream_retention_period - 2) * 3600} s), so a record the analytics mapping gives up on can still be read back from the Kinesis stream."
  }
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

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.reconcile_schedule_expression))
    error_message = "reconcile_schedule_expression must be rate(...) or cron(...)."
  }
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
  description = "Requests per second per stage and per API key, above 0. API Gateway also applies the account's limit in the region (10000 requests per second by default), whichever is lower."
  type        = number
  nullable    = false
  default     = 100

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be greater than 0."
  }
}

variable "api_throttling_burst_limit" {
  description = "Burst above the rate per stage and per API key, a whole number from 0. The account's burst in the region (5000 by default) caps it."
  type        = number
  nullable    = false
  default     = 50

  validation {
    condition     = var.api_throttling_burst_limit >= 0 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number of at least 0."
  }
}

variable "api_public_rate_limit" {
  description = "Requests per second per stage on each operation that needs no API key (GET /health): no usage plan covers them. Above 0 and at most api_throttling_rate_limit."
  type        = number
  nullable    = false
  default     = 5

  validation {
    condition     = var.api_public_rate_limit > 0 && var.api_public_rate_limit <= var.api_throttling_rate_limit
    error_message = "api_public_rate_limit must be greater than 0 and at most api_throttling_rate_limit."
  }
}

variable "api_public_burst_limit" {
  description = "Burst above api_public_rate_limit per stage on each operation that needs no API key, a whole number from 0 to api_throttling_burst_limit."
  type        = number
  nullable    = false
  default     = 10

  validation {
    condition     = var.api_public_burst_limit >= 0 && floor(var.api_public_burst_limit) == var.api_public_burst_limit && var.api_public_burst_limit <= var.api_throttling_burst_limit
    error_message = "api_public_burst_limit must be a whole number from 0 to api_throttling_burst_limit."
  }
}

variable "api_quota_limit" {
  description = "Requests per day per API key; null for no quota."
  type        = number
  default     = null
}

variable "manage_api_gateway_account" {
  description = "Create an IAM role for API Gateway to log with and set it as the region's API Gateway CloudWatch role (a region-wide setting, needed once per account and region before stages can log). Off by default: the setting outlives the stack, so a stack that is destroyed (an ephemeral or nightly environment) would leave the region pointing at a deleted role, and every stack sharing the region would repoint it. Turn it on in one long-lived stack per account and region when no landing zone sets it."
  type        = bool
  nullable    = false
  default     = false
}

variable "auth_mode" {
  description = "How API callers are authenticated: \"api_key\" (the shared key alone, the default), \"cognito\" (also an OAuth2 access token of the stack's user pool, which has a machine client for the client-credentials grant; the scopes are the contract's x-oauth-scopes) or \"iam\" (also a SigV4 signature). API keys stay required in every mode: the usage plan meters and throttles per key."
  type        = string
  nullable    = false
  default     = "api_key"

  validation {
    condition     = contains(["api_key", "cognito", "iam"], var.auth_mode)
    error_message = "auth_mode must be api_key, cognito or iam."
  }
}

variable "cognito_domain_prefix" {
  description = "With auth_mode cognito: prefix of the user pool's domain, whose /oauth2/token endpoint issues tokens (unique within the region across all AWS accounts). null means \"<name_prefix>-<environment>-<account id>\"."
  type        = string
  default     = null
}

variable "web_acl_arn" {
  description = "WAFv2 web ACL (REGIONAL scope, in the stack's region) to associate with both stages, e.g. one a security team owns; null for none, or for the stack's own with waf_enabled. Given, it is used and waf_enabled creates nothing."
  type        = string
  default     = null
}

variable "waf_enabled" {
  description = "Create a baseline web ACL (modules/waf: AWS managed IP reputation, known bad inputs and common rule sets, a per-IP rate limit, logging of what it blocks) and associate it with both stages, unless web_acl_arn names one."
  type        = bool
  nullable    = false
  default     = false
}

variable "waf_rate_limit" {
  description = "Requests one client IP may make in 5 minutes before the stack's web ACL blocks it (429); 10 to 2000000000. Only with waf_enabled."
  type        = number
  nullable    = false
  default     = 2000

  validation {
    condition     = var.waf_rate_limit >= 10 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit must be a whole number from 10 to 2000000000."
  }
}

################################################################################
# IAM and code signing
################################################################################

variable "role_permissions_boundary" {
  description = "ARN of the IAM policy set as the permissions boundary of every IAM role the stack creates (each function's role, the flow-log role, the API Gateway CloudWatch role); null for none. A landing zone that allows deployers to create roles only under its boundary sets it."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be the ARN of an IAM policy (arn:<partition>:iam::<account>:policy/<path><name>) or null."
  }
}

variable "code_signing_config_arn" {
  description = "ARN of a Lambda code signing configuration attached to every function; null (the default) for none. With an enforcing configuration Lambda refuses code not signed by one of its signing profiles, so a fork that sets it must deploy a zip signed with AWS Signer (from S3), not the local build."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null ? true : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be the ARN of a Lambda code signing configuration (arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<17 characters>) or null."
  }
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

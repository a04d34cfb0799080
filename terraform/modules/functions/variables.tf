variable "name" {
  description = "Name prefix for every resource, e.g. \"events-dev\". Function names are \"<name>-<key>\"."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Code and runtime
################################################################################

variable "zip_path" {
  description = "Path of the deployment package shared by every function (the Chalice zip)."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime of every function: one of the Python runtimes listed in runtimes.json beside this file (those Lambda lets you create today, all on Amazon Linux 2023). Must match the Python that built the zip (chalice package builds for its own interpreter). python3.14 needs AWS provider 6.20 or later (5.x rejects it)."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(local.python_runtimes, var.runtime)
    error_message = "runtime must be a Python runtime Lambda lets you create today: ${join(", ", local.python_runtimes)} (Amazon Linux 2023; runtimes.json, checked ${local.runtimes.checked}). ${local.runtimes.retired}"
  }
}

variable "architecture" {
  description = "Instruction set of every function: arm64 (Graviton, the default: lower price per GB-second) or x86_64. The zip's native wheels must match."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "functions" {
  description = <<-EOT
    Functions keyed by short name. handler is the Chalice handler ("app.app"); memory_size 128 to 10240 MB;
    timeout 1 to 900 seconds; reserved_concurrency null (unreserved) or a whole number from 0 (Lambda keeps 100 of
    the account's concurrency unreserved); snapstart publishes a version on every change, turns on SnapStart for it
    and points the alias "live" at it (Python 3.12 and later; not in the regions runtimes.json lists); environment
    is merged over common_environment; policy_statements are this function's own permissions (the module adds what
    its triggers and dead-letter queue need, its network interfaces, its own log group and, with Active tracing,
    X-Ray), each with optional IAM conditions (test, variable, values, as in aws_iam_policy_document:
    "ForAllValues:StringEquals", "dynamodb:LeadingKeys", ["KEY#log"]); all must hold. Statements must name
    actions and resources: no "*" or "service:*" action and no "*" resource.
  EOT
  type = map(object({
    handler              = string
    memory_size          = optional(number, 256)
    timeout              = optional(number, 15)
    reserved_concurrency = optional(number)
    snapstart            = optional(bool, false)
    environment          = optional(map(string), {})
    policy_statements = optional(list(object({
      sid       = string
      actions   = list(string)
      resources = list(string)
      conditions = optional(list(object({
        test     = string
        variable = string
        values   = list(string)
      })), [])
    })), [])
  }))

  validation {
    condition     = alltrue([for f in values(var.functions) : f.memory_size >= 128 && f.memory_size <= 10240])
    error_message = "memory_size must be from 128 to 10240 MB."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.timeout >= 1 && f.timeout <= 900])
    error_message = "timeout must be from 1 to 900 seconds."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.reserved_concurrency == null ? true : f.reserved_concurrency >= 0 && floor(f.reserved_concurrency) == f.reserved_concurrency])
    error_message = "reserved_concurrency must be null (unreserved) or a whole number of at least 0."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : !f.snapstart || contains(local.snapstart_runtimes, var.runtime)])
    error_message = "snapstart needs a runtime that supports SnapStart: ${join(", ", local.snapstart_runtimes)} (runtimes.json)."
  }

  validation {
    condition = alltrue(flatten([
      for f in values(var.functions) : [
        for s in f.policy_statements : [for a in s.actions : a != "*" && !endswith(a, ":*")]
      ]
    ]))
    error_message = "policy_statements must name their actions: \"*\" and \"service:*\" are not allowed."
  }

  validation {
    condition = alltrue(flatten([
      for f in values(var.functions) : [for s in f.policy_statements : [for r in s.resources : r != "*"]]
    ]))
    error_message = "policy_statements must name their resources: \"*\" is not allowed."
  }

  validation {
    condition     = alltrue([for k in keys(var.functions) : can(regex("^[a-z][a-z0-9-]{0,20}$", k))])
    error_message = "Function keys must be 1 to 21 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of the IAM policy set as the permissions boundary of every function's role; null for none. A landing zone that lets deployers create roles only under its boundary sets it."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be the ARN of an IAM policy (arn:<partition>:iam::<account>:policy/<path><name>) or null."
  }
}

variable "code_signing_config_arn" {
  description = "ARN of a Lambda code signing configuration to attach to every function; null (the default) for none. With an enforcing configuration Lambda refuses code not signed by its allowed signing profiles, so a fork that sets it deploys a zip signed with AWS Signer."
  type        = string
  default     = null

  validation {
    condition     = var.code_signing_config_arn == null ? true : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:code-signing-config:csc-[a-z0-9]{17}$", var.code_signing_config_arn))
    error_message = "code_signing_config_arn must be the ARN of a Lambda code signing configuration (arn:<partition>:lambda:<region>:<account>:code-signing-config:csc-<17 characters>) or null."
  }
}

variable "common_environment" {
  description = "Environment variables given to every function (each function's own environment wins)."
  type        = map(string)
  default     = {}
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active (sample and trace) or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

################################################################################
# Network, encryption, logs, failures
################################################################################

variable "subnet_ids" {
  description = "Private subnets the functions run in (at least two availability zones)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "Give at least two subnets (two availability zones)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the functions' network interfaces."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) >= 1
    error_message = "Give at least one security group."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the functions' environment variables and log groups."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of each function's log group in days (one of the values CloudWatch Logs accepts; 0 keeps logs forever)."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 for never expire)."
  }
}

variable "dead_letter_queue_arn" {
  description = "SQS queue that receives asynchronous invocations (SNS, EventBridge) that failed every retry."
  type        = string
}

variable "dead_letter_config_enabled" {
  description = "Attach dead_letter_queue_arn to every function. Set false only on the local emulator: moto 5.2 does not return a function's dead-letter config, which would show a change on every plan."
  type        = bool
  default     = true
}

################################################################################
# Triggers
################################################################################

variable "event_source_mappings" {
  description = <<-EOT
    Poll-based triggers keyed by a short name. source_type is sqs, dynamodb or kinesis; function is a key of
    `functions`. Stream-only settings (starting_position, bisect_batch_on_function_error, maximum_retry_attempts,
    maximum_record_age_in_seconds, parallelization_factor, on_failure_destination_arn) are ignored for sqs;
    maximum_concurrency is SQS only. filter_patterns are Lambda event filtering patterns (JSON, up to 4096
    characters each, at most 10 per mapping, 5 without a quota increase): a record matching any of them is
    delivered, any other record is dropped without an invocation. The module grants the function what it needs
    to read the source and to send to the on-failure destination.
  EOT
  type = map(object({
    function                           = string
    source_type                        = string
    event_source_arn                   = string
    batch_size                         = optional(number)
    maximum_batching_window_in_seconds = optional(number)
    report_batch_item_failures         = optional(bool, true)
    starting_position                  = optional(string, "LATEST")
    bisect_batch_on_function_error     = optional(bool, true)
    maximum_retry_attempts             = optional(number, 3)
    maximum_record_age_in_seconds      = optional(number, -1)
    parallelization_factor             = optional(number, 1)
    on_failure_destination_arn         = optional(string)
    maximum_concurrency                = optional(number)
    filter_patterns                    = optional(list(string), [])
  }))
  default = {}

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : contains(keys(var.functions), m.function)])
    error_message = "Each mapping's function must be a key of functions."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : contains(["sqs", "dynamodb", "kinesis"], m.source_type)])
    error_message = "source_type must be sqs, dynamodb or kinesis."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : contains(["LATEST", "TRIM_HORIZON"], m.starting_position)])
    error_message = "starting_position must be LATEST or TRIM_HORIZON."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.batch_size == null ? true : m.batch_size >= 1 && m.batch_size <= 10000])
    error_message = "batch_size must be from 1 to 10000 (SQS FIFO queues: 1 to 10)."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.maximum_retry_attempts >= -1 && m.maximum_retry_attempts <= 10000])
    error_message = "maximum_retry_attempts must be from -1 (retry until the record expires) to 10000."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.maximum_record_age_in_seconds == -1 || (m.maximum_record_age_in_seconds >= 60 && m.maximum_record_age_in_seconds <= 604800)])
    error_message = "maximum_record_age_in_seconds must be -1 (no limit) or from 60 to 604800."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.parallelization_factor >= 1 && m.parallelization_factor <= 10])
    error_message = "parallelization_factor must be from 1 to 10."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : m.maximum_concurrency == null ? true : m.maximum_concurrency >= 2 && m.maximum_concurrency <= 1000])
    error_message = "maximum_concurrency must be null or from 2 to 1000."
  }

  validation {
    condition     = alltrue([for m in values(var.event_source_mappings) : length(m.filter_patterns) <= 10])
    error_message = "A mapping takes at most 10 filter patterns (5 without a Lambda quota increase)."
  }

  validation {
    condition = alltrue(flatten([
      for m in values(var.event_source_mappings) : [for p in m.filter_patterns : can(jsondecode(p)) && length(p) <= 4096]
    ]))
    error_message = "Each filter pattern must be JSON of at most 4096 characters."
  }
}

variable "sns_subscriptions" {
  description = "SNS push triggers keyed by a short name: the topic, the function key, and an optional filter policy (JSON) applied to MessageAttributes or MessageBody."
  type = map(object({
    function            = string
    topic_arn           = string
    filter_policy       = optional(string)
    filter_policy_scope = optional(string, "MessageAttributes")
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.sns_subscriptions) : contains(keys(var.functions), s.function)])
    error_message = "Each subscription's function must be a key of functions."
  }

  validation {
    condition     = alltrue([for s in values(var.sns_subscriptions) : contains(["MessageAttributes", "MessageBody"], s.filter_policy_scope)])
    error_message = "filter_policy_scope must be MessageAttributes or MessageBody."
  }
}

variable "schedules" {
  description = "EventBridge schedules keyed by a short name: the function key and a rate() or cron() expression."
  type = map(object({
    function            = string
    schedule_expression = string
    description         = optional(string, "")
  }))
  default = {}

  validation {
    condition     = alltrue([for s in values(var.schedules) : contains(keys(var.functions), s.function)])
    error_message = "Each schedule's function must be a key of functions."
  }

  validation {
    condition     = alltrue([for s in values(var.schedules) : can(regex("^(rate|cron)\\(.+\\)$", s.schedule_expression))])
    error_message = "schedule_expression must be rate(...) or cron(...)."
  }
}

variable "name" {
  description = "Name prefix for every resource, e.g. \"events-dev\"."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the topics and queues. Its policy must let sns.amazonaws.com use it (SNS encrypts what it delivers to the queues)."
  type        = string
}

variable "kms_data_key_reuse_period_seconds" {
  description = "How long SQS reuses a data key before calling KMS again, 60 to 86400 seconds (24 hours)."
  type        = number
  default     = 300

  validation {
    condition     = var.kms_data_key_reuse_period_seconds >= 60 && var.kms_data_key_reuse_period_seconds <= 86400
    error_message = "kms_data_key_reuse_period_seconds must be from 60 to 86400."
  }
}

variable "message_retention_seconds" {
  description = "How long the work queues keep a message, 60 to 1209600 seconds (14 days). Default 345600 (4 days), the SQS default."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be from 60 to 1209600 seconds (14 days)."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the dead-letter and failure queues keep a message, 60 to 1209600 seconds (14 days). Keep it longer than message_retention_seconds: SQS keeps a message's original enqueue time when it moves to a standard DLQ."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be from 60 to 1209600 seconds (14 days)."
  }
}

variable "max_receive_count" {
  description = "Receives of a message before SQS moves it to the queue's DLQ (redrive maxReceiveCount), 1 to 1000."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000 && floor(var.max_receive_count) == var.max_receive_count
    error_message = "max_receive_count must be a whole number from 1 to 1000."
  }
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of each work queue (standard, fifo), 0 to 43200 seconds (12 hours). Lambda needs it at least as long as the consuming function's timeout; AWS recommends six times the timeout."
  type = object({
    standard = number
    fifo     = number
  })
  default = {
    standard = 90
    fifo     = 90
  }

  validation {
    condition     = alltrue([for v in values(var.visibility_timeout_seconds) : v >= 0 && v <= 43200])
    error_message = "visibility_timeout_seconds must be from 0 to 43200 seconds (12 hours)."
  }
}

variable "fifo_high_throughput" {
  description = "High throughput for the FIFO lane: the FIFO topic's throughput and deduplication scope becomes MessageGroup (fifo_throughput_scope) and the FIFO work queue's becomes per message group (deduplication_scope messageGroup, fifo_throughput_limit perMessageGroupId), so the limits apply per message group instead of to the whole topic or queue. false leaves the arguments unset: the AWS defaults (Topic scope; queue-wide deduplication and throughput). Turning it off again leaves the last values in place on AWS (unset arguments are not reverted)."
  type        = bool
  default     = false
}

variable "redrive_allow_policy_enabled" {
  description = "Restrict each DLQ to its own work queue (redrive allow policy). Set false only on the local emulator: moto 5.2 never returns the attribute, so Terraform would wait for it forever."
  type        = bool
  default     = true
}

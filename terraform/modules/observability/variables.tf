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
  description = "KMS key that encrypts the alarm topic. Its policy must let cloudwatch.amazonaws.com use it, or alarms cannot publish."
  type        = string
}

variable "alarm_emails" {
  description = "Email addresses subscribed to the alarm topic (each must confirm)."
  type        = list(string)
  default     = []
}

################################################################################
# What to watch
################################################################################

variable "dead_letter_queue_names" {
  description = "Queues whose depth must stay at zero (DLQs and failure destinations), keyed by role."
  type        = map(string)
  default     = {}
}

variable "apis" {
  description = "REST APIs to watch for 5XX responses, keyed by role: API name and stage name."
  type = map(object({
    name  = string
    stage = string
  }))
  default = {}
}

variable "function_names" {
  description = "Lambda functions to watch for errors and throttles, keyed by short name."
  type        = map(string)
  default     = {}
}

variable "stream_consumer_function_names" {
  description = "Functions fed by a stream mapping (DynamoDB or Kinesis), keyed by short name, to watch for iterator age (processing lag)."
  type        = map(string)
  default     = {}
}

variable "kinesis_stream_names" {
  description = "Kinesis streams to watch for GetRecords iterator age, keyed by role."
  type        = map(string)
  default     = {}
}

variable "application_failure_metrics" {
  description = "Counters the functions emit (CloudWatch embedded metric format) that must stay at zero, keyed by the alarm's name after \"<name>-\": description, namespace, metric and dimensions exactly as emitted (e.g. the reconciler's ReconcileFailures in namespace Events, dimensions table and service)."
  type = map(object({
    description = string
    namespace   = string
    metric      = string
    dimensions  = map(string)
  }))
  default = {}
}

################################################################################
# Thresholds
################################################################################

variable "period_seconds" {
  description = "Period of every alarm's statistic: 10, 30 or a multiple of 60 seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([10, 30], var.period_seconds) || (var.period_seconds >= 60 && var.period_seconds % 60 == 0)
    error_message = "period_seconds must be 10, 30 or a multiple of 60."
  }
}

variable "api_5xx_rate_threshold" {
  description = "Alarm when the share of requests answered with a 5XX over one period exceeds this, 0 to 1."
  type        = number
  default     = 0.05

  validation {
    condition     = var.api_5xx_rate_threshold >= 0 && var.api_5xx_rate_threshold <= 1
    error_message = "api_5xx_rate_threshold must be from 0 to 1."
  }
}

variable "iterator_age_threshold_ms" {
  description = "Alarm when the oldest unprocessed stream record is older than this many milliseconds."
  type        = number
  default     = 60000

  validation {
    condition     = var.iterator_age_threshold_ms > 0
    error_message = "iterator_age_threshold_ms must be greater than 0."
  }
}

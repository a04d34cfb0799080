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
  description = "ARN of the customer managed KMS key for server-side encryption of the table (and its stream)."
  type        = string
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST (on-demand) or PROVISIONED."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "Read capacity units of the table and the pending index when billing_mode is PROVISIONED (ignored on demand)."
  type        = number
  default     = 5

  validation {
    condition     = var.read_capacity >= 1
    error_message = "read_capacity must be at least 1."
  }
}

variable "write_capacity" {
  description = "Write capacity units of the table and the pending index when billing_mode is PROVISIONED (ignored on demand)."
  type        = number
  default     = 5

  validation {
    condition     = var.write_capacity >= 1
    error_message = "write_capacity must be at least 1."
  }
}

variable "point_in_time_recovery" {
  description = "Enable point-in-time recovery (continuous backups, 35 days)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse DeleteTable while true. Turn on in production; the table must be unprotected before `terraform destroy`."
  type        = bool
  default     = false
}

variable "ttl_attribute" {
  description = "Name of the numeric attribute (epoch seconds) after which DynamoDB deletes an item."
  type        = string
  default     = "expires_at"
}

variable "name" {
  description = "Name prefix for every resource, e.g. \"events-dev\"."
  type        = string
}

variable "tags" {
  description = "Tags applied to the stream (see tags_enabled)."
  type        = map(string)
  default     = {}
}

variable "tags_enabled" {
  description = "Tag the stream. Set false only for emulators that drop tags given at stream creation (moto), which would otherwise show a diff on every plan."
  type        = bool
  default     = true
}

variable "stream_mode" {
  description = "ON_DEMAND (scales by itself, billed per GB) or PROVISIONED (fixed shard_count)."
  type        = string
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "PROVISIONED"], var.stream_mode)
    error_message = "stream_mode must be ON_DEMAND or PROVISIONED."
  }
}

variable "shard_count" {
  description = "Number of shards when stream_mode is PROVISIONED (ignored on demand), 1 to 10000: UpdateShardCount, which changes it, stops at 10000 shards per stream by default (the account's default shard quota is 20000 in us-east-1, us-west-2 and eu-west-1, 1000 or 6000 elsewhere)."
  type        = number
  default     = 1

  validation {
    condition     = var.shard_count >= 1 && var.shard_count <= 10000 && floor(var.shard_count) == var.shard_count
    error_message = "shard_count must be a whole number from 1 to 10000 (UpdateShardCount's default per-stream limit)."
  }
}

variable "retention_period" {
  description = "Hours a record stays readable, 24 to 8760 (365 days). Above 24 hours costs extra."
  type        = number
  default     = 24

  validation {
    condition     = var.retention_period >= 24 && var.retention_period <= 8760
    error_message = "retention_period must be from 24 to 8760 hours."
  }
}

variable "kms_key_id" {
  description = "KMS key (ARN, ID or alias) for server-side encryption. \"alias/aws/kinesis\" is the AWS managed key; a customer managed key gives you the key policy and CloudTrail trail."
  type        = string
  default     = "alias/aws/kinesis"
}

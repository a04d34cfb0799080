variable "name" {
  description = "Name prefix for every resource, e.g. \"events-dev\"."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be 2 to 41 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC, /16 to /24."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be a valid IPv4 CIDR block between /16 and /24."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread the private subnets over, 2 to 6 (ignored when availability_zones is set)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 6."
  }
}

variable "availability_zones" {
  description = "Exact availability zone names for the private subnets (at least two), e.g. [\"us-east-1a\", \"us-east-1b\"]. Empty means the first az_count zones, in name order, of the region's zones a to f."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) >= 2
    error_message = "availability_zones must be empty or name at least two zones."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each private subnet (4 turns a /16 into /20 subnets)."
  type        = number
  default     = 4

  validation {
    condition     = var.subnet_newbits >= 1 && var.subnet_newbits <= 8
    error_message = "subnet_newbits must be from 1 to 8."
  }
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface VPC endpoints with private DNS, keyed by endpoint service suffix (com.amazonaws.<region>.<key>), valued by the IAM action prefix the endpoint policy allows."
  type        = map(string)
  default = {
    sns             = "sns"
    sqs             = "sqs"
    kinesis-streams = "kinesis"
  }
}

variable "flow_logs_enabled" {
  description = "Send VPC flow logs (all traffic) to an encrypted CloudWatch log group."
  type        = bool
  default     = true
}

variable "log_retention_in_days" {
  description = "Retention of the flow log group in days (one of the values CloudWatch Logs accepts; 0 keeps logs forever)."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 for never expire)."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of the IAM policy set as the permissions boundary of the flow-log role; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be the ARN of an IAM policy (arn:<partition>:iam::<account>:policy/<path><name>) or null."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the flow log group. The key policy must allow the CloudWatch Logs service principal."
  type        = string
}

variable "rule_descriptions_enabled" {
  description = "Describe each security group rule. Set false only on the local emulator: moto 5.2 does not return the description of a rule that references a security group or prefix list, which would show a change on every plan."
  type        = bool
  default     = true
}

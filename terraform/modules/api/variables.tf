variable "name" {
  description = "Name prefix for every resource, e.g. \"events-dev\". The APIs are \"<name>-edge\" and \"<name>-regional\"."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Contract and backend
################################################################################

variable "openapi_path" {
  description = "Path of the OpenAPI 3.0 contract (YAML or JSON). Its operations carry no x-amazon-apigateway-integration: this module injects an AWS_PROXY integration into each."
  type        = string
}

variable "lambda_function_name" {
  description = "Name of the Lambda function behind every operation (Chalice routes by resource path and method)."
  type        = string
}

variable "lambda_invoke_arn" {
  description = "Invoke ARN that every operation integrates with: the function's (aws_lambda_function.invoke_arn), or with lambda_qualifier set, that alias's or version's (aws_lambda_alias.invoke_arn)."
  type        = string
}

variable "lambda_qualifier" {
  description = "Alias (or version) of the function that API Gateway invokes and may invoke, e.g. \"live\" for a SnapStart function; null for the unqualified function. 1 to 128 letters, digits, hyphens or underscores; lambda_invoke_arn must then end in \":<qualifier>/invocations\"."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_qualifier == null ? true : can(regex("^[A-Za-z0-9_-]{1,128}$", var.lambda_qualifier))
    error_message = "lambda_qualifier must be null or an alias name or version: 1 to 128 letters, digits, hyphens or underscores."
  }

  validation {
    condition     = var.lambda_qualifier == null ? true : endswith(var.lambda_invoke_arn, ":${var.lambda_qualifier}/invocations")
    error_message = "With lambda_qualifier set, lambda_invoke_arn must be the invoke ARN of that alias or version (ending in \":<qualifier>/invocations\")."
  }
}

################################################################################
# Who may call
################################################################################

variable "auth_mode" {
  description = "How callers are authenticated on every operation the contract secures (API keys stay required in every mode, for the usage plan): \"api_key\" (the key alone identifies the caller), \"cognito\" (also an access token of cognito_user_pool_arn carrying one of the operation's x-oauth-scopes, checked by a COGNITO_USER_POOLS authorizer) or \"iam\" (also a SigV4 signature, AWS_IAM). The contract must declare the schemes the mode uses: api_key, and cognito or sigv4."
  type        = string
  default     = "api_key"

  validation {
    condition     = contains(["api_key", "cognito", "iam"], var.auth_mode)
    error_message = "auth_mode must be api_key, cognito or iam."
  }
}

variable "cognito_user_pool_arn" {
  description = "ARN of the user pool whose access tokens the cognito authorizer accepts; required with auth_mode = \"cognito\", ignored otherwise."
  type        = string
  default     = null

  validation {
    condition     = var.auth_mode != "cognito" || var.cognito_user_pool_arn != null
    error_message = "auth_mode cognito needs cognito_user_pool_arn."
  }

  validation {
    condition     = var.cognito_user_pool_arn == null ? true : can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[a-z0-9-]+_[0-9A-Za-z]+$", var.cognito_user_pool_arn))
    error_message = "cognito_user_pool_arn must be a Cognito user pool ARN (arn:<partition>:cognito-idp:<region>:<account>:userpool/<id>)."
  }
}

################################################################################
# Stage
################################################################################

variable "stage_name" {
  description = "Stage of both APIs, the first path segment of their invoke URLs. Defaults to \"api\", Chalice's default; the contract's paths already carry the version (/v1/...)."
  type        = string
  default     = "api"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1 to 128 letters, digits or underscores."
  }
}

variable "xray_tracing_enabled" {
  description = "Trace requests with X-Ray at the stage."
  type        = bool
  default     = true
}

variable "logging_level" {
  description = "Execution logging level of every method: OFF, ERROR or INFO. Access logs are always on."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.logging_level)
    error_message = "logging_level must be OFF, ERROR or INFO."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second allowed per stage (method settings) and per API key (usage plan)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be greater than 0."
  }
}

variable "throttling_burst_limit" {
  description = "Burst of requests allowed above the rate, per stage and per API key."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of at least 0."
  }
}

variable "public_throttling_rate_limit" {
  description = "Steady-state requests per second allowed per stage on each operation that needs no API key (the contract's `security: []`: GET /health). No usage plan covers them, so this alone bounds what anyone can make the function do through them. At most throttling_rate_limit."
  type        = number
  default     = 5

  validation {
    condition     = var.public_throttling_rate_limit > 0 && var.public_throttling_rate_limit <= var.throttling_rate_limit
    error_message = "public_throttling_rate_limit must be greater than 0 and at most throttling_rate_limit."
  }
}

variable "public_throttling_burst_limit" {
  description = "Burst of requests allowed above public_throttling_rate_limit, per stage, on each operation that needs no API key. A whole number, at most throttling_burst_limit."
  type        = number
  default     = 10

  validation {
    condition     = var.public_throttling_burst_limit >= 0 && floor(var.public_throttling_burst_limit) == var.public_throttling_burst_limit && var.public_throttling_burst_limit <= var.throttling_burst_limit
    error_message = "public_throttling_burst_limit must be a whole number from 0 to throttling_burst_limit."
  }
}

variable "quota_limit" {
  description = "Requests an API key may make per quota_period; null for no quota."
  type        = number
  default     = null

  validation {
    condition     = var.quota_limit == null ? true : var.quota_limit >= 1
    error_message = "quota_limit must be null or at least 1."
  }
}

variable "quota_period" {
  description = "Period of quota_limit: DAY, WEEK or MONTH."
  type        = string
  default     = "DAY"

  validation {
    condition     = contains(["DAY", "WEEK", "MONTH"], var.quota_period)
    error_message = "quota_period must be DAY, WEEK or MONTH."
  }
}

################################################################################
# Logs, encryption, account settings, WAF
################################################################################

variable "kms_key_arn" {
  description = "KMS key that encrypts the access and execution log groups. Its policy must allow the CloudWatch Logs service principal."
  type        = string
}

variable "log_retention_in_days" {
  description = "Retention of the access and execution log groups in days (one of the values CloudWatch Logs accepts; 0 keeps logs forever)."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, or 0 for never expire)."
  }
}

variable "manage_account_settings" {
  description = "Create the IAM role API Gateway uses to write logs and set it in the region's API Gateway account settings (needed once per account and region before stages can log). Set false where another stack or a landing zone already owns that region-wide setting."
  type        = bool
  default     = true
}

variable "role_permissions_boundary" {
  description = "ARN of the IAM policy set as the permissions boundary of the CloudWatch role (manage_account_settings); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be the ARN of an IAM policy (arn:<partition>:iam::<account>:policy/<path><name>) or null."
  }
}

variable "web_acl" {
  description = "WAFv2 web ACL (REGIONAL scope, in the APIs' region) to associate with both stages, as { arn = \"...\" }; null for none. An object rather than the ARN alone so that whether there is one is known when the plan is made, even when the ACL is created in the same apply."
  type = object({
    arn = string
  })
  default = null

  validation {
    condition     = var.web_acl == null ? true : can(regex("^arn:[^:]+:wafv2:[^:]+:[0-9]{12}:regional/webacl/", var.web_acl.arn))
    error_message = "web_acl.arn must be the ARN of a REGIONAL WAFv2 web ACL (arn:<partition>:wafv2:<region>:<account>:regional/webacl/...)."
  }
}

################################################################################
# TLS
################################################################################

variable "security_policies" {
  description = "TLS security policy of each API's default endpoint, keyed by endpoint. Edge-optimized APIs take the *_EDGE policies, regional ones the others; every choice allowed here accepts TLS 1.2 and 1.3 or 1.3 only (TLS_1_0, API Gateway's default, is refused). The defaults are the TLS 1.2+ policies with forward secrecy only."
  type = object({
    edge     = string
    regional = string
  })
  default = {
    edge     = "SecurityPolicy_TLS12_PFS_2025_EDGE"
    regional = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
  }

  validation {
    condition     = contains(["SecurityPolicy_TLS13_2025_EDGE", "SecurityPolicy_TLS12_PFS_2025_EDGE", "SecurityPolicy_TLS12_2018_EDGE"], var.security_policies.edge)
    error_message = "security_policies.edge must be SecurityPolicy_TLS13_2025_EDGE, SecurityPolicy_TLS12_PFS_2025_EDGE or SecurityPolicy_TLS12_2018_EDGE (an edge-optimized API takes only these of the TLS 1.2+ policies)."
  }

  validation {
    condition     = contains(["TLS_1_2", "SecurityPolicy_TLS13_1_3_2025_09", "SecurityPolicy_TLS13_1_3_FIPS_2025_09", "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09", "SecurityPolicy_TLS13_1_2_FIPS_PQ_2025_09", "SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09", "SecurityPolicy_TLS13_1_2_PQ_2025_09", "SecurityPolicy_TLS13_1_2_2021_06"], var.security_policies.regional)
    error_message = "security_policies.regional must be TLS_1_2 or one of the regional SecurityPolicy_TLS13_* policies (TLS_1_0 and the *_EDGE policies are refused)."
  }
}

variable "endpoint_access_mode" {
  description = "Endpoint access mode that goes with an enhanced (SecurityPolicy_*) TLS policy: STRICT accepts a request only through the API's own endpoint type with a matching TLS server name (SNI) for regional endpoints; BASIC accepts any. Use BASIC for a regional API behind a proxy or CDN of your own that sends another Host."
  type        = string
  default     = "STRICT"

  validation {
    condition     = contains(["STRICT", "BASIC"], var.endpoint_access_mode)
    error_message = "endpoint_access_mode must be STRICT or BASIC."
  }
}

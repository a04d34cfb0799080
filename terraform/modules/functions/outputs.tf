################################################################################
# Functions
################################################################################

output "function_names" {
  description = "Function names keyed by short name."
  value       = { for k, f in aws_lambda_function.this : k => f.function_name }
}

output "function_arns" {
  description = "Function ARNs keyed by short name."
  value       = { for k, f in aws_lambda_function.this : k => f.arn }
}

output "configurations" {
  description = "Runtime, architecture, memory (MB), timeout (s) and reserved concurrency (null: unreserved) of each function, keyed by short name."
  value = {
    for k, f in aws_lambda_function.this : k => {
      runtime              = f.runtime
      architecture         = one(f.architectures)
      memory_size          = f.memory_size
      timeout              = f.timeout
      reserved_concurrency = coalesce(f.reserved_concurrent_executions, -1) == -1 ? null : f.reserved_concurrent_executions # -1: unreserved
    }
  }
}

output "invoke_arns" {
  description = "Invoke ARNs (for API Gateway integrations) keyed by short name: the alias's for a SnapStart function, the unqualified function's otherwise."
  value = {
    for k, f in aws_lambda_function.this : k => var.functions[k].snapstart ? aws_lambda_alias.this[k].invoke_arn : f.invoke_arn
  }
}

output "qualifiers" {
  description = "Qualifier to invoke and to grant permissions on, keyed by short name: the alias name (\"live\") for a SnapStart function, null otherwise."
  value       = local.qualifiers
}

output "target_arns" {
  description = "ARN that triggers invoke, keyed by short name: the alias ARN for a SnapStart function, the unqualified function ARN otherwise."
  value       = local.target_arns
}

output "vpc_configs" {
  description = "Subnets and security groups of each function, keyed by short name."
  value = {
    for k, f in aws_lambda_function.this : k => {
      subnet_ids         = f.vpc_config[0].subnet_ids
      security_group_ids = f.vpc_config[0].security_group_ids
    }
  }
}

output "snapstart" {
  description = "SnapStart of each function, keyed by short name: whether it publishes versions, apply_on (\"PublishedVersions\" or null), the published version the alias points at and the alias ARN (null without SnapStart)."
  value = {
    for k, f in aws_lambda_function.this : k => {
      publish   = f.publish
      apply_on  = one([for s in f.snap_start : s.apply_on])
      version   = var.functions[k].snapstart ? aws_lambda_alias.this[k].function_version : null
      alias_arn = var.functions[k].snapstart ? aws_lambda_alias.this[k].arn : null
    }
  }
}

output "environments" {
  description = "Environment variables of each function (common_environment merged with its own), keyed by short name."
  value       = { for k, f in aws_lambda_function.this : k => f.environment[0].variables }
}

output "kms_key_arns" {
  description = "KMS key that encrypts each function's environment, keyed by short name."
  value       = { for k, f in aws_lambda_function.this : k => f.kms_key_arn }
}

################################################################################
# IAM
################################################################################

output "role_arns" {
  description = "Execution role ARNs keyed by short name."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "role_permissions_boundaries" {
  description = "Permissions boundary of each function's role (null: none), keyed by short name."
  value       = { for k, r in aws_iam_role.this : k => r.permissions_boundary }
}

output "policy_documents" {
  description = "Each function's inline policy (JSON), keyed by short name: all its permissions (no managed policy is attached)."
  value       = local.policies
}

################################################################################
# Log groups
################################################################################

output "log_group_names" {
  description = "Log group names keyed by short name."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

################################################################################
# Triggers
################################################################################

output "event_source_mapping_uuids" {
  description = "Event source mapping UUIDs keyed by mapping name."
  value       = { for k, m in aws_lambda_event_source_mapping.this : k => m.uuid }
}

output "event_source_mappings" {
  description = "What each poll-based trigger was given, keyed by mapping name: function, source_type, batch_size, maximum_concurrency (null: Lambda's default scaling), maximum_record_age_in_seconds, maximum_retry_attempts, bisect_batch_on_function_error, parallelization_factor and on_failure_destination_arn (null for sqs, whose failures go to the queue's own DLQ), and filter_patterns."
  value = {
    for k, m in aws_lambda_event_source_mapping.this : k => {
      function                       = var.event_source_mappings[k].function
      source_type                    = var.event_source_mappings[k].source_type
      batch_size                     = m.batch_size
      maximum_concurrency            = one([for s in m.scaling_config : s.maximum_concurrency])
      maximum_record_age_in_seconds  = var.event_source_mappings[k].source_type == "sqs" ? null : m.maximum_record_age_in_seconds
      maximum_retry_attempts         = var.event_source_mappings[k].source_type == "sqs" ? null : m.maximum_retry_attempts
      bisect_batch_on_function_error = var.event_source_mappings[k].source_type == "sqs" ? null : m.bisect_batch_on_function_error
      parallelization_factor         = var.event_source_mappings[k].source_type == "sqs" ? null : m.parallelization_factor
      on_failure_destination_arn     = one(flatten([for d in m.destination_config : [for f in d.on_failure : f.destination_arn]]))
      filter_patterns                = flatten([for c in m.filter_criteria : [for f in c.filter : f.pattern]])
    }
  }
}

output "sns_subscription_arns" {
  description = "SNS subscription ARNs keyed by subscription name."
  value       = { for k, s in aws_sns_topic_subscription.this : k => s.arn }
}

output "schedule_rule_names" {
  description = "EventBridge rule names keyed by schedule name."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.name }
}

output "encrypted_log_group_names" {
  description = "Names (patterns: * within a name) of the log groups this module encrypts with kms_key_arn, from its inputs alone, for the key policy that must admit them: one per function, named /aws/lambda/<name>-<function>."
  # From var.name only: var.functions depends on resources encrypted with the key
  # (the table, the queues), so naming each function here would be a cycle.
  value = ["/aws/lambda/${var.name}-*"]
}

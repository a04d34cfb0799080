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

output "invoke_arns" {
  description = "Invoke ARNs (for API Gateway integrations) keyed by short name."
  value       = { for k, f in aws_lambda_function.this : k => f.invoke_arn }
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

output "policy_documents" {
  description = "Each function's inline policy (JSON), keyed by short name. Attached managed policies: AWSLambdaVPCAccessExecutionRole and, with Active tracing, AWSXRayDaemonWriteAccess."
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

output "sns_subscription_arns" {
  description = "SNS subscription ARNs keyed by subscription name."
  value       = { for k, s in aws_sns_topic_subscription.this : k => s.arn }
}

output "schedule_rule_names" {
  description = "EventBridge rule names keyed by schedule name."
  value       = { for k, r in aws_cloudwatch_event_rule.this : k => r.name }
}

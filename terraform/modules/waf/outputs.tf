output "web_acl_arn" {
  description = "ARN of the web ACL (REGIONAL), for an association with API Gateway stages."
  value       = aws_wafv2_web_acl.this.arn
}

output "web_acl_id" {
  description = "ID of the web ACL."
  value       = aws_wafv2_web_acl.this.id
}

output "web_acl_name" {
  description = "Name of the web ACL (the WebACL dimension of its CloudWatch metrics)."
  value       = aws_wafv2_web_acl.this.name
}

output "rule_names" {
  description = "The web ACL's rules in the order AWS WAF evaluates them."
  value       = [for r in sort([for r in aws_wafv2_web_acl.this.rule : format("%03d %s", r.priority, r.name)]) : substr(r, 4, -1)]
}

output "log_group_name" {
  description = "Log group of the blocked and counted requests; null when logging_enabled is false."
  value       = one(aws_cloudwatch_log_group.this[*].name)
}

output "encrypted_log_group_names" {
  description = "Names of the log groups this module encrypts with kms_key_arn, from its inputs alone (the key policy must admit them): the aws-waf-logs- group, when logging is on."
  value       = var.logging_enabled ? ["aws-waf-logs-${var.name}"] : []
}

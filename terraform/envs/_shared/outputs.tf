# Re-exported for `terraform output -json` (the deploy script reads these).

output "region" {
  description = "AWS region of the stack."
  value       = module.stack.region
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.stack.vpc_id
}

output "edge_api_id" {
  description = "ID of the EDGE REST API."
  value       = module.stack.edge_api_id
}

output "regional_api_id" {
  description = "ID of the REGIONAL REST API."
  value       = module.stack.regional_api_id
}

output "stage_name" {
  description = "Stage name of both APIs."
  value       = module.stack.stage_name
}

output "edge_api_url" {
  description = "Invoke URL of the EDGE API's stage."
  value       = module.stack.edge_api_url
}

output "regional_api_url" {
  description = "Invoke URL of the REGIONAL API's stage."
  value       = module.stack.regional_api_url
}

output "api_key" {
  description = "Default API key value (x-api-key)."
  value       = module.stack.api_key
  sensitive   = true
}

output "api_key_id" {
  description = "ID of the default API key (the caller identity of its requests in auth_mode api_key)."
  value       = module.stack.api_key_id
}

output "auth_mode" {
  description = "How API callers are authenticated: api_key, cognito or iam."
  value       = module.stack.auth_mode
}

output "cognito_user_pool_id" {
  description = "With auth_mode cognito: the user pool that issues the callers' tokens."
  value       = module.stack.cognito_user_pool_id
}

output "cognito_client_id" {
  description = "With auth_mode cognito: the machine client's id (its secret: aws cognito-idp describe-user-pool-client --user-pool-id <cognito_user_pool_id> --client-id <cognito_client_id> --query UserPoolClient.ClientSecret --output text)."
  value       = module.stack.cognito_client_id
}

output "cognito_token_url" {
  description = "With auth_mode cognito: the OAuth2 token endpoint (client-credentials grant)."
  value       = module.stack.cognito_token_url
}

output "cognito_scopes" {
  description = "With auth_mode cognito: the scopes the machine client may request."
  value       = module.stack.cognito_scopes
}

output "events_table_name" {
  description = "Name of the events table."
  value       = module.stack.events_table_name
}

output "standard_topic_arn" {
  description = "ARN of the standard SNS topic."
  value       = module.stack.standard_topic_arn
}

output "fifo_topic_arn" {
  description = "ARN of the FIFO SNS topic."
  value       = module.stack.fifo_topic_arn
}

output "standard_queue_url" {
  description = "URL of the standard work queue."
  value       = module.stack.standard_queue_url
}

output "standard_dlq_url" {
  description = "URL of the standard work queue's DLQ."
  value       = module.stack.standard_dlq_url
}

output "fifo_queue_url" {
  description = "URL of the FIFO work queue."
  value       = module.stack.fifo_queue_url
}

output "fifo_dlq_url" {
  description = "URL of the FIFO work queue's DLQ."
  value       = module.stack.fifo_dlq_url
}

output "stream_failure_queue_url" {
  description = "URL of the stream mappings' on-failure queue."
  value       = module.stack.stream_failure_queue_url
}

output "function_dlq_url" {
  description = "URL of the dead-letter queue of asynchronous invocations."
  value       = module.stack.function_dlq_url
}

output "events_stream_name" {
  description = "Name of the Kinesis stream."
  value       = module.stack.events_stream_name
}

output "function_names" {
  description = "Function names keyed by short name."
  value       = module.stack.function_names
}

output "schedule_rule_name" {
  description = "Name of the reconciler's EventBridge rule."
  value       = module.stack.schedule_rule_name
}

output "alarm_topic_arn" {
  description = "ARN of the alarm SNS topic."
  value       = module.stack.alarm_topic_arn
}

output "sizing" {
  description = "Capacity settings of the stack, from its inputs only: `terraform console` evaluates it without state (the cost and capacity model reads it)."
  value       = module.stack.sizing
}

output "web_acl_arn" {
  description = "WAFv2 web ACL associated with both API stages (null: none)."
  value       = module.stack.web_acl_arn
}

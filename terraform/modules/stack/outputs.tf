################################################################################
# Region and naming
################################################################################

output "region" {
  description = "AWS region of the stack."
  value       = local.region
}

output "name" {
  description = "Name prefix of every resource (\"<name_prefix>-<environment>\")."
  value       = local.name
}

output "kms_key_arn" {
  description = "ARN of the stack's customer managed KMS key."
  value       = aws_kms_key.this.arn
}

################################################################################
# Network
################################################################################

output "vpc_id" {
  description = "ID of the VPC the functions run in."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets of the functions."
  value       = module.network.private_subnet_ids
}

################################################################################
# API
################################################################################

output "web_acl_arn" {
  description = "WAFv2 web ACL associated with both API stages: web_acl_arn, else the stack's own (waf_enabled), else null."
  value       = var.web_acl_arn != null ? var.web_acl_arn : one(module.waf[*].web_acl_arn)
}

output "edge_api_id" {
  description = "ID of the EDGE REST API."
  value       = module.api.edge_api_id
}

output "regional_api_id" {
  description = "ID of the REGIONAL REST API."
  value       = module.api.regional_api_id
}

output "stage_name" {
  description = "Stage name of both APIs."
  value       = module.api.stage_name
}

output "edge_api_url" {
  description = "Invoke URL of the EDGE API's stage (contract paths are appended)."
  value       = module.api.edge_api_url
}

output "regional_api_url" {
  description = "Invoke URL of the REGIONAL API's stage (contract paths are appended)."
  value       = module.api.regional_api_url
}

output "api_key" {
  description = "Default API key value (send it as x-api-key)."
  value       = module.api.api_key
  sensitive   = true
}

output "auth_mode" {
  description = "How API callers are authenticated (api_key, cognito or iam); the API key is required in every mode."
  value       = var.auth_mode
}

output "api_key_id" {
  description = "ID of the default API key: the caller identity of requests made with it in auth_mode api_key (requestContext.identity.apiKeyId)."
  value       = module.api.api_key_id
}

output "cognito_user_pool_id" {
  description = "With auth_mode cognito, the user pool that issues the callers' tokens; null otherwise."
  value       = one(module.auth[*].user_pool_id)
}

output "cognito_client_id" {
  description = "With auth_mode cognito, the machine client's id; null otherwise. Its secret is not an output: `aws cognito-idp describe-user-pool-client --user-pool-id <cognito_user_pool_id> --client-id <cognito_client_id> --query UserPoolClient.ClientSecret --output text`."
  value       = one(module.auth[*].client_id)
}

output "cognito_token_url" {
  description = "With auth_mode cognito, the OAuth2 token endpoint (client-credentials grant, the client id and secret as HTTP Basic credentials); null otherwise."
  value       = one(module.auth[*].token_url)
}

output "cognito_scopes" {
  description = "With auth_mode cognito, the scopes the machine client may request; null otherwise."
  value       = one(module.auth[*].scopes)
}

output "api_endpoint_types" {
  description = "Endpoint type of each REST API, keyed by endpoint."
  value       = module.api.endpoint_types
}

################################################################################
# Data
################################################################################

output "events_table_name" {
  description = "Name of the events table."
  value       = module.data.table_name
}

################################################################################
# Messaging
################################################################################

output "standard_topic_arn" {
  description = "ARN of the standard SNS topic."
  value       = module.messaging.standard_topic_arn
}

output "fifo_topic_arn" {
  description = "ARN of the FIFO SNS topic."
  value       = module.messaging.fifo_topic_arn
}

output "standard_queue_url" {
  description = "URL of the standard work queue."
  value       = module.messaging.standard_queue_url
}

output "standard_dlq_url" {
  description = "URL of the standard work queue's DLQ."
  value       = module.messaging.standard_dlq_url
}

output "fifo_queue_url" {
  description = "URL of the FIFO work queue."
  value       = module.messaging.fifo_queue_url
}

output "fifo_dlq_url" {
  description = "URL of the FIFO work queue's DLQ."
  value       = module.messaging.fifo_dlq_url
}

output "stream_failure_queue_url" {
  description = "URL of the on-failure destination of the stream mappings."
  value       = module.messaging.stream_failure_queue_url
}

output "function_dlq_url" {
  description = "URL of the dead-letter queue of asynchronous invocations (notifier, reconciler)."
  value       = module.messaging.function_dlq_url
}

################################################################################
# Streaming
################################################################################

output "events_stream_name" {
  description = "Name of the Kinesis stream."
  value       = module.streaming.stream_name
}

################################################################################
# Functions
################################################################################

output "function_names" {
  description = "Function names keyed by short name."
  value       = module.functions.function_names
}

output "schedule_rule_name" {
  description = "Name of the EventBridge rule that runs the reconciler."
  value       = module.functions.schedule_rule_names["reconciler"]
}

################################################################################
# Observability
################################################################################

output "alarm_topic_arn" {
  description = "ARN of the alarm SNS topic."
  value       = module.observability.alarm_topic_arn
}

################################################################################
# Sizing (inputs only: `terraform console` evaluates it without state)
################################################################################

output "sizing" {
  description = "The capacity settings of the stack, for the cost and capacity model: environment, architecture, runtime, api_snapstart, each function's effective memory_size, timeout and reserved_concurrency (the stack's defaults with the environment's overrides), batch sizes, the streams' parallelization factor, stream mode and shards, FIFO high throughput, API throttling, max_receive_count, log level and the reconciler's schedule. Built from input variables only (no resource, no data source), so `terraform console` can evaluate it without state or credentials."
  value = {
    environment                   = var.environment
    architecture                  = var.architecture
    runtime                       = var.runtime
    api_snapstart                 = var.api_snapstart
    functions                     = { for k, f in local.functions : k => { memory_size = f.memory_size, timeout = f.timeout, reserved_concurrency = f.reserved_concurrency } }
    queue_batch_size              = var.queue_batch_size
    stream_batch_size             = var.stream_batch_size
    stream_parallelization_factor = var.stream_parallelization_factor
    stream_mode                   = var.stream_mode
    stream_shard_count            = var.stream_shard_count
    fifo_high_throughput          = var.fifo_high_throughput

    api_throttling_rate_limit     = var.api_throttling_rate_limit
    api_throttling_burst_limit    = var.api_throttling_burst_limit
    max_receive_count             = var.max_receive_count
    log_level                     = var.log_level
    reconcile_schedule_expression = var.reconcile_schedule_expression
  }
}

# Thin root: one provider, one stack. The endpoint comes from the environment
# (AWS_ENDPOINT_URL for the local emulator), never from this file.
provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids
}

locals {
  repo_root = "${path.root}/../../.."
}

module "stack" {
  source = "../../modules/stack"

  name_prefix     = var.name_prefix
  environment     = var.environment
  tags            = var.tags
  lambda_zip_path = coalesce(var.lambda_zip_path, "${local.repo_root}/build/lambda/deployment.zip")
  openapi_path    = coalesce(var.openapi_path, "${local.repo_root}/contracts/openapi.yaml")

  functions                     = var.functions
  lambda_concurrency_quota      = var.lambda_concurrency_quota
  runtime                       = var.runtime
  architecture                  = var.architecture
  api_snapstart                 = var.api_snapstart
  log_level                     = var.log_level
  log_retention_in_days         = var.log_retention_in_days
  table_deletion_protection     = var.table_deletion_protection
  message_retention_seconds     = var.message_retention_seconds
  queue_batch_size              = var.queue_batch_size
  fifo_high_throughput          = var.fifo_high_throughput
  stream_mode                   = var.stream_mode
  stream_shard_count            = var.stream_shard_count
  stream_retention_period       = var.stream_retention_period
  stream_batch_size             = var.stream_batch_size
  stream_parallelization_factor = var.stream_parallelization_factor
  reconcile_schedule_expression = var.reconcile_schedule_expression
  reconcile_after_seconds       = var.reconcile_after_seconds
  stage_name                    = var.stage_name
  auth_mode                     = var.auth_mode
  cognito_domain_prefix         = var.cognito_domain_prefix
  api_logging_level             = var.api_logging_level
  api_throttling_rate_limit     = var.api_throttling_rate_limit
  api_throttling_burst_limit    = var.api_throttling_burst_limit
  api_public_rate_limit         = var.api_public_rate_limit
  api_public_burst_limit        = var.api_public_burst_limit
  api_quota_limit               = var.api_quota_limit
  manage_api_gateway_account    = var.manage_api_gateway_account
  role_permissions_boundary     = var.role_permissions_boundary
  code_signing_config_arn       = var.code_signing_config_arn
  web_acl_arn                   = var.web_acl_arn
  waf_enabled                   = var.waf_enabled
  waf_rate_limit                = var.waf_rate_limit
  alarm_emails                  = var.alarm_emails
  kms_deletion_window_in_days   = var.kms_deletion_window_in_days
  emulator_workarounds          = var.emulator_workarounds
  max_receive_count             = var.max_receive_count
  visibility_timeout_multiplier = var.visibility_timeout_multiplier
}

################################################################################
# REST APIs
################################################################################

output "rest_api_ids" {
  description = "REST API IDs keyed by endpoint (edge, regional)."
  value       = { for k, a in aws_api_gateway_rest_api.this : k => a.id }
}

output "edge_api_id" {
  description = "ID of the EDGE (CloudFront) REST API."
  value       = aws_api_gateway_rest_api.this["edge"].id
}

output "regional_api_id" {
  description = "ID of the REGIONAL REST API."
  value       = aws_api_gateway_rest_api.this["regional"].id
}

output "endpoint_types" {
  description = "Endpoint type of each REST API, keyed by endpoint."
  value       = { for k, a in aws_api_gateway_rest_api.this : k => one(a.endpoint_configuration[0].types) }
}

output "integration_uris" {
  description = "The Lambda invoke ARN each REST API's operations integrate with, keyed by endpoint (the alias's when lambda_qualifier is set)."
  value = {
    for k, a in aws_api_gateway_rest_api.this : k => distinct(flatten([
      for item in values(jsondecode(a.body).paths) : [
        for method, operation in item : operation["x-amazon-apigateway-integration"].uri
        if can(operation["x-amazon-apigateway-integration"].uri)
      ]
    ]))
  }
}

output "lambda_permission_qualifiers" {
  description = "Qualifier of each API's Lambda permission, keyed by endpoint (null: the unqualified function)."
  value       = { for k, p in aws_lambda_permission.this : k => p.qualifier }
}

output "execution_arns" {
  description = "Execution ARNs keyed by endpoint."
  value       = { for k, a in aws_api_gateway_rest_api.this : k => a.execution_arn }
}

output "operation_count" {
  description = "Number of contract operations that received an AWS_PROXY integration."
  value       = local.operation_count
}

output "auth_mode" {
  description = "How callers are authenticated (api_key, cognito or iam); the API key is required in every mode."
  value       = var.auth_mode
}

output "oauth_scopes" {
  description = "The OAuth scopes the contract's operations require (their x-oauth-scopes), sorted: what a cognito user pool's resource server must offer."
  value       = local.oauth_scopes
}

output "body_sha1" {
  description = "SHA-1 of the OpenAPI body sent to each API, keyed by endpoint (a change triggers a new deployment of that API)."
  value       = { for api, body in local.bodies : api => sha1(body) }
}

output "security_policies" {
  description = "TLS security policy of each API's default endpoint, as set in its body, keyed by endpoint."
  value       = { for api, body in local.bodies : api => jsondecode(body)["x-amazon-apigateway-security-policy"] }
}

output "public_method_paths" {
  description = "Method paths (<path>/<METHOD>) of the operations that need no API key and get the public throttle."
  value       = sort(distinct([for s in values(local.public_method_settings) : s.method_path]))
}

################################################################################
# Stages
################################################################################

output "stage_name" {
  description = "Stage name of both APIs."
  value       = var.stage_name
}

output "invoke_urls" {
  description = "Stage invoke URLs keyed by endpoint (contract paths are appended to them)."
  value       = { for k, s in aws_api_gateway_stage.this : k => s.invoke_url }
}

output "edge_api_url" {
  description = "Invoke URL of the EDGE API's stage."
  value       = aws_api_gateway_stage.this["edge"].invoke_url
}

output "regional_api_url" {
  description = "Invoke URL of the REGIONAL API's stage."
  value       = aws_api_gateway_stage.this["regional"].invoke_url
}

output "stage_arns" {
  description = "Stage ARNs keyed by endpoint (for WAF associations)."
  value       = { for k, s in aws_api_gateway_stage.this : k => s.arn }
}

output "web_acl_associations" {
  description = "The web ACL associated with each stage, keyed by endpoint (empty without web_acl)."
  value       = { for k, a in aws_wafv2_web_acl_association.this : k => a.web_acl_arn }
}

output "access_log_group_names" {
  description = "Access log groups keyed by endpoint."
  value       = { for k, g in aws_cloudwatch_log_group.access : k => g.name }
}

################################################################################
# Usage plan and API key
################################################################################

output "usage_plan_id" {
  description = "ID of the usage plan that covers both stages."
  value       = aws_api_gateway_usage_plan.this.id
}

output "api_key_id" {
  description = "ID of the default API key."
  value       = aws_api_gateway_api_key.this.id
}

output "api_key" {
  description = "Value of the default API key (send it as x-api-key)."
  value       = aws_api_gateway_api_key.this.value
  sensitive   = true
}

output "rest_api_names" {
  description = "REST API names keyed by endpoint (the ApiName dimension of their metrics)."
  value       = { for k, a in aws_api_gateway_rest_api.this : k => a.name }
}

output "openapi_bodies" {
  description = "The OpenAPI document each REST API is built from, keyed by endpoint: the contract plus the injected integrations, request validators and that endpoint's TLS policy."
  value       = local.bodies
}

output "role_permissions_boundaries" {
  description = "Permissions boundary of each IAM role of the module (null: none), keyed by role name: the CloudWatch role, when manage_account_settings is on."
  value       = { for r in aws_iam_role.cloudwatch : r.name => r.permissions_boundary }
}

output "execution_log_group_names" {
  description = "Execution log groups (API-Gateway-Execution-Logs_<api id>/<stage>) keyed by endpoint."
  value       = { for k, g in aws_cloudwatch_log_group.execution : k => g.name }
}

output "encrypted_log_group_names" {
  description = "Names (patterns: * within a name) of the log groups this module encrypts with kms_key_arn, from its inputs alone, for the key policy that must admit them: each API's access log group, and the execution log groups, whose names hold the API ids (known only after apply)."
  value = concat(
    [for k in keys(local.endpoints) : "/aws/apigateway/${var.name}-${k}/access"],
    ["API-Gateway-Execution-Logs_*/${var.stage_name}"],
  )
}

output "cloudwatch_role_arn" {
  description = "The role set as the region's API Gateway CloudWatch role (account settings) when manage_account_settings is on; null otherwise."
  value       = one(aws_api_gateway_account.this[*].cloudwatch_role_arn)
}

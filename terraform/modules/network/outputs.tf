################################################################################
# VPC
################################################################################

output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

################################################################################
# Private subnets
################################################################################

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone."
  value       = aws_subnet.private[*].id
}

output "availability_zones" {
  description = "Availability zones of the private subnets, in subnet order."
  value       = aws_subnet.private[*].availability_zone
}

output "private_route_table_id" {
  description = "ID of the route table shared by the private subnets."
  value       = aws_route_table.private.id
}

################################################################################
# Security groups
################################################################################

output "lambda_security_group_id" {
  description = "Security group for the Lambda functions (HTTPS out to the endpoints only)."
  value       = aws_security_group.lambda.id
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints (HTTPS in from the Lambda security group only)."
  value       = aws_security_group.endpoints.id
}

################################################################################
# VPC endpoints
################################################################################

output "dynamodb_endpoint_id" {
  description = "ID of the DynamoDB gateway endpoint."
  value       = aws_vpc_endpoint.dynamodb.id
}

output "interface_endpoint_ids" {
  description = "IDs of the interface endpoints, keyed by service (sns, sqs, kinesis-streams)."
  value       = { for k, v in aws_vpc_endpoint.interface : k => v.id }
}

################################################################################
# Flow logs
################################################################################

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs (null when disabled)."
  value       = one(aws_cloudwatch_log_group.flow_logs[*].name)
}

output "role_permissions_boundaries" {
  description = "Permissions boundary of each IAM role of the module (null: none), keyed by role name: the flow-log role, when flow logs are on."
  value       = { for r in aws_iam_role.flow_logs : r.name => r.permissions_boundary }
}

output "encrypted_log_group_names" {
  description = "Names of the log groups this module encrypts with kms_key_arn, from its inputs alone (the key policy must admit them): the flow-log group, when flow logs are on."
  value       = var.flow_logs_enabled ? ["/vpc/${var.name}/flow-logs"] : []
}

################################################################################
# Events table
################################################################################

output "table_name" {
  description = "Name of the events table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the events table."
  value       = aws_dynamodb_table.this.arn
}

output "stream_arn" {
  description = "ARN of the table's stream (new images)."
  value       = aws_dynamodb_table.this.stream_arn
}

output "pending_index_name" {
  description = "Name of the global secondary index of unpublished events."
  value       = local.pending_index_name
}

output "pending_index_arn" {
  description = "ARN of the pending index, for IAM statements that Query it."
  value       = "${aws_dynamodb_table.this.arn}/index/${local.pending_index_name}"
}

output "kms_key_arn" {
  description = "KMS key that encrypts the table (server-side encryption)."
  value       = one(aws_dynamodb_table.this.server_side_encryption[*].kms_key_arn)
}

################################################################################
# Stream
################################################################################

output "stream_name" {
  description = "Name of the Kinesis stream."
  value       = aws_kinesis_stream.this.name
}

output "stream_arn" {
  description = "ARN of the Kinesis stream."
  value       = aws_kinesis_stream.this.arn
}

output "encryption_type" {
  description = "Server-side encryption of the stream (always KMS)."
  value       = aws_kinesis_stream.this.encryption_type
}

output "kms_key_id" {
  description = "KMS key that encrypts the stream."
  value       = aws_kinesis_stream.this.kms_key_id
}

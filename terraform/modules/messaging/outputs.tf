################################################################################
# Topics
################################################################################

output "topics" {
  description = "Both topics, keyed by lane (standard, fifo), with name, ARN, FIFO flag, KMS key and FIFO throughput scope."
  value = {
    for k, t in aws_sns_topic.this : k => {
      name                  = t.name, arn = t.arn, fifo = t.fifo_topic, kms_master_key_id = t.kms_master_key_id,
      fifo_throughput_scope = t.fifo_throughput_scope
    }
  }
}

output "standard_topic_arn" {
  description = "ARN of the standard SNS topic."
  value       = aws_sns_topic.this["standard"].arn
}

output "fifo_topic_arn" {
  description = "ARN of the FIFO SNS topic."
  value       = aws_sns_topic.this["fifo"].arn
}

################################################################################
# Work queues
################################################################################

output "standard_queue_arn" {
  description = "ARN of the standard work queue (subscribed to the standard topic)."
  value       = aws_sqs_queue.this["standard"].arn
}

output "standard_queue_url" {
  description = "URL of the standard work queue."
  value       = aws_sqs_queue.this["standard"].url
}

output "fifo_queue_arn" {
  description = "ARN of the FIFO work queue (subscribed to the FIFO topic)."
  value       = aws_sqs_queue.this["fifo"].arn
}

output "fifo_queue_url" {
  description = "URL of the FIFO work queue."
  value       = aws_sqs_queue.this["fifo"].url
}

################################################################################
# Dead-letter queues
################################################################################

output "standard_dlq_arn" {
  description = "ARN of the standard work queue's DLQ."
  value       = aws_sqs_queue.dlq["standard"].arn
}

output "standard_dlq_url" {
  description = "URL of the standard work queue's DLQ."
  value       = aws_sqs_queue.dlq["standard"].url
}

output "fifo_dlq_arn" {
  description = "ARN of the FIFO work queue's DLQ."
  value       = aws_sqs_queue.dlq["fifo"].arn
}

output "fifo_dlq_url" {
  description = "URL of the FIFO work queue's DLQ."
  value       = aws_sqs_queue.dlq["fifo"].url
}

################################################################################
# Failure queues
################################################################################

output "stream_failure_queue_arn" {
  description = "ARN of the on-failure destination of the stream mappings."
  value       = aws_sqs_queue.failure["stream_failures"].arn
}

output "stream_failure_queue_url" {
  description = "URL of the on-failure destination of the stream mappings."
  value       = aws_sqs_queue.failure["stream_failures"].url
}

output "function_dlq_arn" {
  description = "ARN of the dead-letter queue of asynchronous Lambda invocations."
  value       = aws_sqs_queue.failure["function_dlq"].arn
}

output "function_dlq_url" {
  description = "URL of the dead-letter queue of asynchronous Lambda invocations."
  value       = aws_sqs_queue.failure["function_dlq"].url
}

################################################################################
# Summaries (for wiring alarms and the reconciler)
################################################################################

output "dead_letter_queues" {
  description = "Every queue where failed work ends up (both DLQs and both failure queues), keyed by role, with name, ARN and URL."
  value = {
    for k, q in local.dlq_policy_targets : k => { name = q.name, arn = q.arn, url = q.url }
  }
}

output "queues" {
  description = "Every queue, keyed by role, with name, ARN, URL, FIFO flag, retention, FIFO deduplication scope and throughput limit, and the ARN of its DLQ (null for terminal queues)."
  value = merge(
    {
      for k, q in aws_sqs_queue.this : k => {
        name                      = q.name, arn = q.arn, url = q.url, fifo = q.fifo_queue,
        message_retention_seconds = q.message_retention_seconds,
        kms_master_key_id         = q.kms_master_key_id,
        deduplication_scope       = q.deduplication_scope, fifo_throughput_limit = q.fifo_throughput_limit,
        dlq_arn                   = jsondecode(aws_sqs_queue_redrive_policy.this[k].redrive_policy).deadLetterTargetArn
      }
    },
    {
      for k, q in local.dlq_policy_targets : k => {
        name                      = q.name, arn = q.arn, url = q.url, fifo = q.fifo_queue,
        message_retention_seconds = q.message_retention_seconds,
        kms_master_key_id         = q.kms_master_key_id,
        deduplication_scope       = q.deduplication_scope, fifo_throughput_limit = q.fifo_throughput_limit,
        dlq_arn                   = null
      }
    },
  )
}

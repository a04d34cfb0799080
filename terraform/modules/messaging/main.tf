locals {
  # Two lanes fan out from the publisher: "standard" (at-least-once, any order)
  # and "fifo" (ordered per message group, i.e. per subject).
  lanes = {
    standard = { fifo = false, suffix = "" }
    fifo     = { fifo = true, suffix = ".fifo" }
  }

  # High-throughput FIFO: limits per message group. Unset (null) otherwise, so
  # AWS and emulators keep their defaults and a second plan stays empty.
  high_throughput = {
    for k, lane in local.lanes : k => lane.fifo && var.fifo_high_throughput
  }

  deny_insecure_transport = {
    Sid       = "DenyInsecureTransport"
    Effect    = "Deny"
    Principal = "*"
    Condition = { Bool = { "aws:SecureTransport" = "false" } }
  }
}

################################################################################
# Topics
################################################################################

resource "aws_sns_topic" "this" {
  for_each = local.lanes

  name                        = "${var.name}-${each.key}${each.value.suffix}"
  fifo_topic                  = each.value.fifo
  content_based_deduplication = each.value.fifo ? false : null # the publisher sets deduplication ids
  fifo_throughput_scope       = local.high_throughput[each.key] ? "MessageGroup" : null
  kms_master_key_id           = var.kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.lanes

  arn = aws_sns_topic.this[each.key].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge(local.deny_insecure_transport, {
      Action   = "sns:Publish"
      Resource = aws_sns_topic.this[each.key].arn
    })]
  })
}

################################################################################
# Work queues (subscribed to the topics, consumed by Lambda)
################################################################################

resource "aws_sqs_queue" "this" {
  for_each = local.lanes

  name                              = "${var.name}-${each.key}${each.value.suffix}"
  fifo_queue                        = each.value.fifo
  content_based_deduplication       = each.value.fifo ? false : null
  deduplication_scope               = local.high_throughput[each.key] ? "messageGroup" : null
  fifo_throughput_limit             = local.high_throughput[each.key] ? "perMessageGroupId" : null
  message_retention_seconds         = var.message_retention_seconds
  visibility_timeout_seconds        = var.visibility_timeout_seconds[each.key]
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds

  tags = var.tags

  lifecycle {
    # Owned by aws_sqs_queue_redrive_policy below. (Emulators that return the
    # JSON with different spacing would otherwise show a change here.)
    ignore_changes = [redrive_policy]
  }
}

resource "aws_sqs_queue_policy" "this" {
  for_each = local.lanes

  queue_url = aws_sqs_queue.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowOwnTopicOnly"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = "sqs:SendMessage"
        Resource  = aws_sqs_queue.this[each.key].arn
        Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.this[each.key].arn } }
      },
      merge(local.deny_insecure_transport, {
        Action   = "sqs:*"
        Resource = aws_sqs_queue.this[each.key].arn
      }),
    ]
  })

  # Set the policy after the redrive policy: moto 5.2 resets a queue's Policy
  # on every SetQueueAttributes call that does not carry one. On AWS this only
  # orders two calls.
  depends_on = [aws_sqs_queue_redrive_policy.this]
}

resource "aws_sns_topic_subscription" "this" {
  for_each = local.lanes

  topic_arn            = aws_sns_topic.this[each.key].arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.this[each.key].arn
  raw_message_delivery = true

  # SNS must be allowed to send before it delivers the first message.
  depends_on = [aws_sqs_queue_policy.this]
}

################################################################################
# Dead-letter queues (one per work queue)
################################################################################

resource "aws_sqs_queue" "dlq" {
  for_each = local.lanes

  name                              = "${var.name}-${each.key}-dlq${each.value.suffix}"
  fifo_queue                        = each.value.fifo
  content_based_deduplication       = each.value.fifo ? false : null
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds

  tags = var.tags
}

# Separate resources rather than the inline arguments: they break the
# queue <-> DLQ reference cycle and do not flap on emulators that rewrite the
# inline JSON.
resource "aws_sqs_queue_redrive_policy" "this" {
  for_each = local.lanes

  queue_url = aws_sqs_queue.this[each.key].id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only the work queue may use its DLQ. Off on the local emulator (moto 5.2
# stores the attribute but never returns it, so Terraform would wait forever).
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  for_each = var.redrive_allow_policy_enabled ? local.lanes : {}

  queue_url = aws_sqs_queue.dlq[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[each.key].arn]
  })
}

################################################################################
# Failure queues (terminal: no DLQ of their own)
################################################################################

locals {
  failure_queues = {
    # On-failure destination of the DynamoDB-stream and Kinesis mappings:
    # records that exhausted their retries (metadata only, not the payload).
    stream_failures = "${var.name}-stream-failures"
    # Dead-letter queue of asynchronous invocations (SNS push, EventBridge).
    function_dlq = "${var.name}-function-dlq"
  }

  dlq_policy_targets = merge(
    { for k, q in aws_sqs_queue.dlq : "${k}_dlq" => q },
    aws_sqs_queue.failure,
  )
}

resource "aws_sqs_queue" "failure" {
  for_each = local.failure_queues

  name                              = each.value
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds

  tags = var.tags
}

resource "aws_sqs_queue_policy" "terminal" {
  for_each = local.dlq_policy_targets

  queue_url = each.value.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge(local.deny_insecure_transport, {
      Action   = "sqs:*"
      Resource = each.value.arn
    })]
  })

  # After the redrive allow policy, for the same moto reason as above.
  depends_on = [aws_sqs_queue_redrive_allow_policy.dlq]
}

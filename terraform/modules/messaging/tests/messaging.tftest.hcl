# Plan-only tests of the messaging module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name        = "events-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "retention_defaults_to_four_days" {
  command = plan

  assert {
    condition     = alltrue([for k, q in aws_sqs_queue.this : q.message_retention_seconds == 345600])
    error_message = "Work queues keep messages 345600 seconds (4 days) by default."
  }

  assert {
    condition     = alltrue([for k, q in merge(aws_sqs_queue.dlq, aws_sqs_queue.failure) : q.message_retention_seconds == 1209600])
    error_message = "Dead-letter and failure queues keep messages the maximum 14 days."
  }
}

run "retention_out_of_range_is_rejected" {
  command = plan

  variables {
    message_retention_seconds     = 30
    dlq_message_retention_seconds = 2000000
  }

  expect_failures = [var.message_retention_seconds, var.dlq_message_retention_seconds]
}

run "fifo_lane_is_fifo_end_to_end" {
  command = plan

  assert {
    condition     = aws_sns_topic.this["fifo"].fifo_topic && aws_sns_topic.this["fifo"].content_based_deduplication == false
    error_message = "The FIFO topic must be FIFO without content-based deduplication (the publisher sets ids)."
  }

  assert {
    condition     = aws_sqs_queue.this["fifo"].fifo_queue && aws_sqs_queue.dlq["fifo"].fifo_queue
    error_message = "The FIFO queue and its DLQ must be FIFO."
  }

  assert {
    condition     = !aws_sns_topic.this["standard"].fifo_topic && !aws_sqs_queue.this["standard"].fifo_queue && !aws_sqs_queue.dlq["standard"].fifo_queue
    error_message = "The standard lane must not be FIFO."
  }
}

run "every_work_queue_redrives_to_its_own_dlq" {
  command = plan

  assert {
    condition = alltrue([
      for k, r in aws_sqs_queue_redrive_policy.this :
      jsondecode(r.redrive_policy).deadLetterTargetArn == aws_sqs_queue.dlq[k].arn && jsondecode(r.redrive_policy).maxReceiveCount == 3
    ])
    error_message = "Each work queue must redrive to its DLQ after 3 receives."
  }

  assert {
    condition     = keys(aws_sqs_queue_redrive_policy.this) == keys(aws_sqs_queue.this)
    error_message = "Every work queue needs a redrive policy."
  }

  assert {
    condition = alltrue([
      for k, r in aws_sqs_queue_redrive_allow_policy.dlq :
      jsondecode(r.redrive_allow_policy).redrivePermission == "byQueue" && jsondecode(r.redrive_allow_policy).sourceQueueArns == [aws_sqs_queue.this[k].arn]
    ])
    error_message = "Each DLQ may only be used by its own work queue."
  }
}

run "queues_accept_only_their_own_topic_and_tls" {
  command = plan

  assert {
    condition = alltrue([
      for k, p in aws_sqs_queue_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Effect == "Allow" && s.Principal == { Service = "sns.amazonaws.com" } && try(s.Condition.ArnEquals["aws:SourceArn"], "") == aws_sns_topic.this[k].arn
      ])
    ])
    error_message = "Only the queue's own topic may send to it."
  }

  assert {
    condition = alltrue([
      for k, p in merge(aws_sqs_queue_policy.this, aws_sqs_queue_policy.terminal) : anytrue([
        for s in jsondecode(p.policy).Statement : s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
      ])
    ])
    error_message = "Every queue must deny requests without TLS."
  }

  assert {
    condition     = length(aws_sqs_queue_policy.this) + length(aws_sqs_queue_policy.terminal) == 6
    error_message = "All six queues need a policy."
  }
}

run "everything_is_encrypted" {
  command = plan

  assert {
    condition     = alltrue([for k, q in merge(aws_sqs_queue.this, { for k, q in aws_sqs_queue.dlq : "${k}_dlq" => q }, aws_sqs_queue.failure) : q.kms_master_key_id == var.kms_key_arn])
    error_message = "Every queue must be encrypted with the given key."
  }

  assert {
    condition     = alltrue([for k, t in aws_sns_topic.this : t.kms_master_key_id == var.kms_key_arn])
    error_message = "Both topics must be encrypted with the given key."
  }
}

run "topics_deliver_raw_to_their_queues" {
  command = plan

  assert {
    condition     = alltrue([for k, s in aws_sns_topic_subscription.this : s.protocol == "sqs" && s.raw_message_delivery && s.endpoint == aws_sqs_queue.this[k].arn])
    error_message = "Each topic must deliver raw messages to its own queue."
  }
}

run "visibility_timeout_per_lane" {
  command = plan

  variables {
    visibility_timeout_seconds = { standard = 180, fifo = 60 }
  }

  assert {
    condition     = aws_sqs_queue.this["standard"].visibility_timeout_seconds == 180 && aws_sqs_queue.this["fifo"].visibility_timeout_seconds == 60
    error_message = "Each work queue takes its own visibility timeout."
  }
}

run "redrive_allow_policy_can_be_left_out_for_emulators" {
  command = plan

  variables {
    redrive_allow_policy_enabled = false
  }

  assert {
    condition     = length(aws_sqs_queue_redrive_allow_policy.dlq) == 0 && length(aws_sqs_queue_redrive_policy.this) == 2
    error_message = "Only the redrive allow policies go; the DLQs stay."
  }
}

run "fifo_limits_stay_at_the_aws_defaults_by_default" {
  command = plan

  assert {
    condition     = aws_sns_topic.this["fifo"].fifo_throughput_scope != "MessageGroup"
    error_message = "Without fifo_high_throughput the FIFO topic keeps the default (Topic) scope."
  }

  assert {
    condition     = aws_sqs_queue.this["fifo"].deduplication_scope != "messageGroup" && aws_sqs_queue.this["fifo"].fifo_throughput_limit != "perMessageGroupId"
    error_message = "Without fifo_high_throughput the FIFO queue keeps the queue-wide defaults."
  }
}

run "fifo_high_throughput_scopes_limits_per_message_group" {
  command = plan

  variables {
    fifo_high_throughput = true
  }

  assert {
    condition     = aws_sns_topic.this["fifo"].fifo_throughput_scope == "MessageGroup"
    error_message = "The FIFO topic's throughput and deduplication scope must be MessageGroup."
  }

  assert {
    condition     = aws_sqs_queue.this["fifo"].deduplication_scope == "messageGroup" && aws_sqs_queue.this["fifo"].fifo_throughput_limit == "perMessageGroupId"
    error_message = "The FIFO work queue must deduplicate and throttle per message group."
  }

  assert {
    condition     = aws_sns_topic.this["standard"].fifo_throughput_scope != "MessageGroup" && aws_sqs_queue.this["standard"].fifo_throughput_limit != "perMessageGroupId"
    error_message = "The standard lane has no FIFO settings."
  }
}

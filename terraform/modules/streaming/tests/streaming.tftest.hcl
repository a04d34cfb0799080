# Plan-only tests of the streaming module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name = "events-test"
  tags = { Owner = "platform" }
}

run "on_demand_and_encrypted_by_default" {
  command = plan

  assert {
    condition     = aws_kinesis_stream.this.stream_mode_details[0].stream_mode == "ON_DEMAND" && aws_kinesis_stream.this.shard_count == null
    error_message = "The stream is on demand by default, with no shard count."
  }

  assert {
    condition     = aws_kinesis_stream.this.encryption_type == "KMS" && aws_kinesis_stream.this.kms_key_id == "alias/aws/kinesis"
    error_message = "The stream is encrypted (AWS managed key unless one is given)."
  }

  assert {
    condition     = aws_kinesis_stream.this.retention_period == 24 && aws_kinesis_stream.this.tags == tomap({ Owner = "platform" })
    error_message = "24 hours of retention and the given tags."
  }
}

run "provisioned_with_a_customer_key" {
  command = plan

  variables {
    stream_mode = "PROVISIONED"
    shard_count = 4
    kms_key_id  = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = aws_kinesis_stream.this.stream_mode_details[0].stream_mode == "PROVISIONED" && aws_kinesis_stream.this.shard_count == 4
    error_message = "Provisioned mode takes the shard count."
  }

  assert {
    condition     = aws_kinesis_stream.this.kms_key_id == var.kms_key_id
    error_message = "The given key must encrypt the stream."
  }
}

run "tags_can_be_left_out_for_emulators" {
  command = plan

  variables {
    tags_enabled = false
  }

  assert {
    condition     = length(aws_kinesis_stream.this.tags) == 0
    error_message = "No tags when tags_enabled is false."
  }
}

run "limits_are_validated" {
  command = plan

  variables {
    stream_mode      = "SERVERLESS"
    retention_period = 12
    shard_count      = 0
  }

  expect_failures = [var.stream_mode, var.retention_period, var.shard_count]
}

run "more_than_10000_shards_is_rejected" {
  command = plan

  variables {
    stream_mode = "PROVISIONED"
    shard_count = 10001
  }

  expect_failures = [var.shard_count]
}

# Plan-only tests of the data module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name        = "events-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "table_defaults" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.this.hash_key == "pk" && aws_dynamodb_table.this.range_key == "sk"
    error_message = "On-demand table keyed pk/sk."
  }

  assert {
    condition     = aws_dynamodb_table.this.stream_enabled && aws_dynamodb_table.this.stream_view_type == "NEW_IMAGE"
    error_message = "The stream (the outbox) must carry new images."
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "The table must be encrypted with the given key."
  }

  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be on."
  }

  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expires_at"
    error_message = "TTL on expires_at."
  }

  assert {
    condition = anytrue([
      for i in aws_dynamodb_table.this.global_secondary_index :
      i.name == "pending" && i.hash_key == "pending_bucket" && i.range_key == "received_at" && i.projection_type == "ALL"
    ])
    error_message = "The pending index (pending_bucket, received_at, ALL) must exist."
  }

  assert {
    condition     = !aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "Deletion protection is off by default (prod turns it on)."
  }
}

run "production_protection" {
  command = plan

  variables {
    deletion_protection = true
  }

  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "deletion_protection must reach the table."
  }
}

run "provisioned_capacity" {
  command = plan

  variables {
    billing_mode   = "PROVISIONED"
    read_capacity  = 10
    write_capacity = 4
  }

  assert {
    condition     = aws_dynamodb_table.this.read_capacity == 10 && aws_dynamodb_table.this.write_capacity == 4
    error_message = "Provisioned capacity must reach the table."
  }
}

run "billing_mode_is_validated" {
  command = plan

  variables {
    billing_mode = "ON_DEMAND"
  }

  expect_failures = [var.billing_mode]
}

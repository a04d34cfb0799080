locals {
  pending_index_name = "pending"
}

################################################################################
# Events table
################################################################################

resource "aws_dynamodb_table" "this" {
  name         = "${var.name}-events"
  billing_mode = var.billing_mode
  hash_key     = "pk"
  range_key    = "sk"

  read_capacity  = var.billing_mode == "PROVISIONED" ? var.read_capacity : null
  write_capacity = var.billing_mode == "PROVISIONED" ? var.write_capacity : null

  deletion_protection_enabled = var.deletion_protection

  # The stream is the outbox: the publisher forwards every new image.
  stream_enabled   = true
  stream_view_type = "NEW_IMAGE"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "pending_bucket"
    type = "S"
  }

  attribute {
    name = "received_at"
    type = "S"
  }

  # Sparse index of events not yet published; the reconciler queries it.
  global_secondary_index {
    name            = local.pending_index_name
    hash_key        = "pending_bucket"
    range_key       = "received_at"
    projection_type = "ALL"
    read_capacity   = var.billing_mode == "PROVISIONED" ? var.read_capacity : null
    write_capacity  = var.billing_mode == "PROVISIONED" ? var.write_capacity : null
  }

  ttl {
    attribute_name = var.ttl_attribute
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}

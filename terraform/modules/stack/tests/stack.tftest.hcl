# Plan-only tests of the whole stack with a mocked AWS provider: no cloud, no
# emulator, no credentials. Run from terraform/modules/stack:
#   terraform init -backend=false && terraform test
#
# Computed values the assertions read (IDs, ARNs) come from the realistic
# defaults in terraform/tests/mocks; override_during = plan makes them known at
# plan time, so policies built from them can be parsed.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  environment     = "test"
  lambda_zip_path = "tests/fixtures/deployment.zip"
  # The real contract: the stack must build from it as it is.
  openapi_path = "../../../contracts/openapi.yaml"
}

run "two_apis_edge_and_regional_from_the_contract" {
  command = plan

  assert {
    condition     = module.api.endpoint_types == { edge = "EDGE", regional = "REGIONAL" }
    error_message = "The stack must have one EDGE and one REGIONAL REST API."
  }

  assert {
    condition     = module.api.operation_count >= 5
    error_message = "Every contract operation (at least the five of issue 3) must get an AWS_PROXY integration."
  }

  assert {
    condition = alltrue(flatten([
      for path, item in jsondecode(module.api.openapi_body).paths : [
        for method, operation in item : (
          operation["x-amazon-apigateway-integration"].type == "aws_proxy" &&
          operation["x-amazon-apigateway-integration"].httpMethod == "POST"
        ) if contains(["get", "put", "post", "delete", "patch", "x-amazon-apigateway-any-method"], method)
      ]
    ]))
    error_message = "Every operation of the rendered contract, and each path's ANY method, must have an AWS_PROXY integration."
  }

  assert {
    condition     = alltrue([for item in values(jsondecode(module.api.openapi_body).paths) : contains(keys(item), "x-amazon-apigateway-any-method")])
    error_message = "Every contract path needs an ANY method so undeclared methods reach the app and get a 405."
  }

  assert {
    condition     = output.stage_name == "api"
    error_message = "The default stage is \"api\"."
  }
}

run "functions_run_in_the_private_subnets_with_a_security_group" {
  command = plan

  assert {
    condition     = length(module.functions.vpc_configs) == 7
    error_message = "All seven functions must exist."
  }

  assert {
    condition = alltrue([
      for k, v in module.functions.vpc_configs : toset(v.subnet_ids) == toset(module.network.private_subnet_ids)
    ])
    error_message = "Every function must run in (all) the private subnets."
  }

  assert {
    condition = alltrue([
      for k, v in module.functions.vpc_configs : toset(v.security_group_ids) == toset([module.network.lambda_security_group_id])
    ])
    error_message = "Every function must carry the Lambda security group."
  }

  assert {
    condition     = length(distinct(module.network.availability_zones)) >= 2
    error_message = "The private subnets must span at least two availability zones."
  }
}

run "queue_retention_defaults_to_four_days" {
  command = plan

  assert {
    condition     = var.message_retention_seconds == 345600
    error_message = "The default retention must be 345600 seconds (4 days)."
  }

  assert {
    condition = alltrue([
      for k in ["standard", "fifo"] : module.messaging.queues[k].message_retention_seconds == 345600
    ])
    error_message = "Both work queues must keep messages 4 days by default."
  }
}

run "retention_below_60_seconds_is_rejected" {
  command = plan

  variables {
    message_retention_seconds = 59
  }

  expect_failures = [var.message_retention_seconds]
}

run "retention_above_14_days_is_rejected" {
  command = plan

  variables {
    message_retention_seconds = 1209601
  }

  expect_failures = [var.message_retention_seconds]
}

run "retention_of_14_days_is_accepted" {
  command = plan

  variables {
    message_retention_seconds = 1209600
  }

  assert {
    condition     = module.messaging.queues["standard"].message_retention_seconds == 1209600
    error_message = "The upper bound (14 days) must be accepted and applied."
  }
}

run "fifo_resources_are_fifo" {
  command = plan

  assert {
    condition     = module.messaging.topics["fifo"].fifo && !module.messaging.topics["standard"].fifo
    error_message = "Only the fifo topic may be FIFO."
  }

  assert {
    condition     = module.messaging.queues["fifo"].fifo && module.messaging.queues["fifo_dlq"].fifo
    error_message = "The FIFO queue and its DLQ must both be FIFO."
  }

  assert {
    condition     = endswith(module.messaging.topics["fifo"].name, ".fifo") && endswith(module.messaging.queues["fifo"].name, ".fifo") && endswith(module.messaging.queues["fifo_dlq"].name, ".fifo")
    error_message = "FIFO names must end in .fifo."
  }

  assert {
    condition     = !module.messaging.queues["standard"].fifo && !module.messaging.queues["standard_dlq"].fifo
    error_message = "The standard queue and its DLQ must not be FIFO."
  }
}

run "every_work_queue_has_a_dlq" {
  command = plan

  assert {
    condition = alltrue([
      for k, q in module.messaging.queues : q.dlq_arn != null if contains(["standard", "fifo"], k)
    ])
    error_message = "Every queue a function consumes must redrive to a DLQ."
  }

  assert {
    condition     = length(module.messaging.dead_letter_queues) == 4
    error_message = "Two DLQs plus the stream-failure and function dead-letter queues are expected."
  }
}

run "no_iam_statement_has_a_wildcard_action" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for k, doc in module.functions.policy_documents : [
        for s in jsondecode(doc).Statement : [for a in s.Action : a != "*" && !endswith(a, ":*")]
      ]
    ]))
    error_message = "No function policy may allow \"*\" or \"service:*\"."
  }

  assert {
    condition = alltrue(flatten([
      for k, doc in module.functions.policy_documents : [
        for s in jsondecode(doc).Statement : [for r in s.Resource : r != "*"]
      ]
    ]))
    error_message = "Every function statement must name its resources."
  }

  assert {
    condition     = length(jsondecode(module.functions.policy_documents["api"]).Statement) >= 2
    error_message = "The api function must have its own statements."
  }
}

run "encryption_is_on_everywhere" {
  command = plan

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "The stack key must rotate."
  }

  assert {
    condition     = alltrue([for k, q in module.messaging.queues : q.kms_master_key_id == aws_kms_key.this.arn])
    error_message = "Every queue must be encrypted with the stack key."
  }

  assert {
    condition     = alltrue([for k, t in module.messaging.topics : t.kms_master_key_id == aws_kms_key.this.arn])
    error_message = "Both topics must be encrypted with the stack key."
  }

  assert {
    condition     = module.data.kms_key_arn == aws_kms_key.this.arn
    error_message = "The table must be encrypted with the stack key."
  }

  assert {
    condition     = module.streaming.encryption_type == "KMS" && module.streaming.kms_key_id == aws_kms_key.this.arn
    error_message = "The stream must be encrypted with the stack key."
  }

  assert {
    condition     = alltrue([for k, arn in module.functions.kms_key_arns : arn == aws_kms_key.this.arn])
    error_message = "Every function's environment must be encrypted with the stack key."
  }
}

run "one_prefix_renames_everything" {
  command = plan

  variables {
    name_prefix = "orders"
  }

  assert {
    condition     = alltrue([for k, n in output.function_names : startswith(n, "orders-test-")])
    error_message = "Function names must follow name_prefix."
  }

  assert {
    condition     = output.events_table_name == "orders-test-events" && output.events_stream_name == "orders-test-events"
    error_message = "The table and the stream must follow name_prefix."
  }
}

run "all_seven_functions_are_required" {
  command = plan

  variables {
    functions = {
      api = { handler = "app.app" }
    }
  }

  expect_failures = [var.functions]
}

run "unknown_emulator_workaround_is_rejected" {
  command = plan

  variables {
    emulator_workarounds = ["skip_everything"]
  }

  expect_failures = [var.emulator_workarounds]
}

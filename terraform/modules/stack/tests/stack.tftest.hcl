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
    error_message = "Every contract operation (at least the five the contract has today) must get an AWS_PROXY integration."
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

run "python_3_13_on_arm64_by_default" {
  command = plan

  assert {
    condition     = alltrue([for k, c in module.functions.configurations : c.runtime == "python3.13" && c.architecture == "arm64"])
    error_message = "Every function runs python3.13 on arm64 (Graviton) by default."
  }
}

run "python_3_11_on_amazon_linux_2_is_refused" {
  command = plan

  variables {
    runtime = "python3.11"
  }

  expect_failures = [var.runtime]
}

run "python_3_9_is_refused" {
  command = plan

  variables {
    runtime = "python3.9"
  }

  expect_failures = [var.runtime]
}

run "python_3_12_is_accepted" {
  command = plan

  variables {
    runtime = "python3.12"
  }

  assert {
    condition     = alltrue([for k, c in module.functions.configurations : c.runtime == "python3.12"])
    error_message = "python3.12 (Amazon Linux 2023) must be accepted and reach every function."
  }
}

# AWS provider 5.x has no python3.14 in its own runtime list (6.20 and later
# do): these two runs plan only the functions' roles, so they prove what the
# runtime validation accepts on any provider version. The first shows that
# this targeted plan still validates runtime.
run "a_targeted_plan_still_validates_runtime" {
  command = plan

  plan_options {
    target = [module.functions.aws_iam_role.this]
  }

  variables {
    runtime = "python3.11"
  }

  expect_failures = [var.runtime]
}

run "python_3_14_is_accepted" {
  command = plan

  plan_options {
    target = [module.functions.aws_iam_role.this]
  }

  variables {
    runtime = "python3.14"
  }

  assert {
    condition     = var.runtime == "python3.14"
    error_message = "python3.14 (Amazon Linux 2023) must pass the runtime validation."
  }
}

run "x86_64_is_an_option" {
  command = plan

  variables {
    architecture = "x86_64"
  }

  assert {
    condition     = alltrue([for k, c in module.functions.configurations : c.architecture == "x86_64"])
    error_message = "architecture = x86_64 must reach every function."
  }
}

run "an_unknown_architecture_is_refused" {
  command = plan

  variables {
    architecture = "x86"
  }

  expect_failures = [var.architecture]
}

run "snapstart_is_off_by_default" {
  command = plan

  assert {
    condition     = !module.functions.snapstart["api"].publish && module.functions.snapstart["api"].apply_on == null && module.functions.snapstart["api"].alias_arn == null
    error_message = "By default the api function publishes no version, has no SnapStart and no alias."
  }

  assert {
    condition     = module.functions.qualifiers["api"] == null && alltrue([for k, q in module.api.lambda_permission_qualifiers : q == null])
    error_message = "By default API Gateway may invoke the unqualified function."
  }

  assert {
    condition     = alltrue([for k, uris in module.api.integration_uris : uris == tolist([module.functions.invoke_arns["api"]]) && !endswith(uris[0], ":live/invocations")])
    error_message = "By default both APIs integrate with the unqualified function."
  }
}

run "api_snapstart_publishes_and_both_apis_invoke_the_alias" {
  command = plan

  variables {
    api_snapstart = true
  }

  assert {
    condition     = module.functions.snapstart["api"].publish && module.functions.snapstart["api"].apply_on == "PublishedVersions"
    error_message = "With api_snapstart the api function publishes versions with SnapStart on them."
  }

  assert {
    condition     = module.functions.snapstart["api"].alias_arn != null && module.functions.qualifiers["api"] == "live"
    error_message = "With api_snapstart the api function has the alias \"live\"."
  }

  assert {
    condition     = alltrue([for k, s in module.functions.snapstart : !s.publish && s.apply_on == null && s.alias_arn == null if k != "api"])
    error_message = "Only the api function uses SnapStart."
  }

  assert {
    condition     = keys(module.api.integration_uris) == ["edge", "regional"] && alltrue([for k, uris in module.api.integration_uris : uris == tolist([module.functions.invoke_arns["api"]]) && endswith(uris[0], ":live/invocations")])
    error_message = "Both APIs must integrate with the alias's invoke ARN."
  }

  assert {
    condition     = keys(module.api.lambda_permission_qualifiers) == ["edge", "regional"] && alltrue([for k, q in module.api.lambda_permission_qualifiers : q == "live"])
    error_message = "Both APIs' permissions must be on the alias."
  }
}

run "fifo_limits_stay_at_the_aws_defaults_by_default" {
  command = plan

  assert {
    condition     = module.messaging.topics["fifo"].fifo_throughput_scope != "MessageGroup"
    error_message = "By default the FIFO topic keeps the Topic scope."
  }

  assert {
    condition     = module.messaging.queues["fifo"].deduplication_scope != "messageGroup" && module.messaging.queues["fifo"].fifo_throughput_limit != "perMessageGroupId"
    error_message = "By default the FIFO queue keeps queue-wide deduplication and throughput."
  }
}

run "fifo_high_throughput_scopes_limits_per_message_group" {
  command = plan

  variables {
    fifo_high_throughput = true
  }

  assert {
    condition     = module.messaging.topics["fifo"].fifo_throughput_scope == "MessageGroup"
    error_message = "fifo_high_throughput must set the FIFO topic's scope to MessageGroup."
  }

  assert {
    condition     = module.messaging.queues["fifo"].deduplication_scope == "messageGroup" && module.messaging.queues["fifo"].fifo_throughput_limit == "perMessageGroupId"
    error_message = "fifo_high_throughput must make the FIFO queue deduplicate and throttle per message group."
  }
}

run "stream_settings_out_of_range_are_rejected" {
  command = plan

  variables {
    stream_mode             = "SERVERLESS"
    stream_shard_count      = 10001
    stream_retention_period = 12
  }

  expect_failures = [var.stream_mode, var.stream_shard_count, var.stream_retention_period]
}

run "provisioned_stream_takes_its_shards" {
  command = plan

  variables {
    stream_mode             = "PROVISIONED"
    stream_shard_count      = 10000
    stream_retention_period = 8760
  }

  assert {
    condition     = output.sizing.stream_mode == "PROVISIONED" && output.sizing.stream_shard_count == 10000
    error_message = "The upper bounds (10000 shards, 8760 hours) must be accepted."
  }
}

run "capacity_settings_out_of_range_are_rejected" {
  command = plan

  variables {
    max_receive_count          = 1001
    queue_batch_size           = 11
    stream_batch_size          = 1001
    api_throttling_rate_limit  = 0
    api_throttling_burst_limit = 2.5
  }

  expect_failures = [
    var.max_receive_count,
    var.queue_batch_size,
    var.stream_batch_size,
    var.api_throttling_rate_limit,
    var.api_throttling_burst_limit,
  ]
}

run "function_limits_are_validated" {
  command = plan

  variables {
    functions = {
      api        = { handler = "app.app", memory_size = 64 }
      publisher  = { handler = "app.publisher", timeout = 901 }
      processor  = { handler = "app.processor", reserved_concurrency = 2.5 }
      sequencer  = { handler = "app.sequencer" }
      analytics  = { handler = "app.analytics" }
      notifier   = { handler = "app.notifier" }
      reconciler = { handler = "app.reconciler", timeout = 60 }
    }
  }

  expect_failures = [var.functions]
}

run "reserved_concurrency_must_leave_100_unreserved" {
  command = plan

  variables {
    lambda_concurrency_quota = 1000
    functions = {
      api        = { handler = "app.app", reserved_concurrency = 800 }
      publisher  = { handler = "app.publisher", reserved_concurrency = 101 }
      processor  = { handler = "app.processor" }
      sequencer  = { handler = "app.sequencer" }
      analytics  = { handler = "app.analytics" }
      notifier   = { handler = "app.notifier" }
      reconciler = { handler = "app.reconciler", timeout = 60 }
    }
  }

  expect_failures = [var.functions]
}

run "sizing_is_known_at_plan_from_the_inputs" {
  command = plan

  variables {
    functions = {
      api        = { handler = "app.app", memory_size = 512, reserved_concurrency = 100 }
      publisher  = { handler = "app.publisher", reserved_concurrency = 20 }
      processor  = { handler = "app.processor" }
      sequencer  = { handler = "app.sequencer" }
      analytics  = { handler = "app.analytics" }
      notifier   = { handler = "app.notifier" }
      reconciler = { handler = "app.reconciler", timeout = 60 }
    }
  }

  assert {
    condition = (
      output.sizing.environment == "test" && output.sizing.architecture == "arm64" && output.sizing.runtime == "python3.13" &&
      !output.sizing.api_snapstart && !output.sizing.fifo_high_throughput &&
      output.sizing.queue_batch_size == 10 && output.sizing.stream_batch_size == 100 && output.sizing.stream_mode == "ON_DEMAND" &&
      output.sizing.api_throttling_rate_limit == 100 && output.sizing.api_throttling_burst_limit == 50 &&
      output.sizing.max_receive_count == 3 && output.sizing.log_level == "INFO" && output.sizing.reconcile_schedule_expression == "rate(5 minutes)"
    )
    error_message = "sizing must carry the stack's capacity inputs."
  }

  assert {
    condition = (
      output.sizing.functions["api"].memory_size == 512 && output.sizing.functions["api"].timeout == 15 && output.sizing.functions["api"].reserved_concurrency == 100 &&
      output.sizing.functions["processor"].memory_size == 256 && output.sizing.functions["processor"].reserved_concurrency == null &&
      output.sizing.functions["reconciler"].timeout == 60 && length(output.sizing.functions) == 7
    )
    error_message = "sizing must carry each function's memory, timeout and reserved concurrency."
  }

  assert {
    condition     = module.functions.configurations["api"].memory_size == output.sizing.functions["api"].memory_size && module.functions.configurations["api"].reserved_concurrency == 100 && module.functions.configurations["processor"].reserved_concurrency == null
    error_message = "sizing must match what the functions get."
  }
}

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
      for path, item in jsondecode(module.api.openapi_bodies["regional"]).paths : [
        for method, operation in item : (
          operation["x-amazon-apigateway-integration"].type == "aws_proxy" &&
          operation["x-amazon-apigateway-integration"].httpMethod == "POST"
        ) if contains(["get", "put", "post", "delete", "patch", "x-amazon-apigateway-any-method"], method)
      ]
    ]))
    error_message = "Every operation of the rendered contract, and each path's ANY method, must have an AWS_PROXY integration."
  }

  assert {
    condition     = alltrue([for item in values(jsondecode(module.api.openapi_bodies["regional"]).paths) : contains(keys(item), "x-amazon-apigateway-any-method")])
    error_message = "Every contract path needs an ANY method so undeclared methods reach the app and get a 405."
  }

  assert {
    condition     = output.stage_name == "api"
    error_message = "The default stage is \"api\"."
  }
}

run "the_edge_of_the_real_contract" {
  command = plan

  assert {
    condition = alltrue([
      for api, body in module.api.openapi_bodies :
      jsondecode(body).paths["/v1/events"].post["x-amazon-apigateway-request-validator"] == "body-and-parameters" &&
      jsondecode(body).paths["/v1/events"].get["x-amazon-apigateway-request-validator"] == "parameters" &&
      jsondecode(body).paths["/v1/events/{event_id}"].get["x-amazon-apigateway-request-validator"] == "parameters"
    ])
    error_message = "POST /v1/events must be validated (body and parameters) by API Gateway, the GETs by their parameters."
  }

  assert {
    condition     = module.api.public_method_paths == tolist(["health/GET"])
    error_message = "GET /health is the contract's only operation without a key: it alone gets the public throttle."
  }

  assert {
    condition     = module.api.security_policies == { edge = "SecurityPolicy_TLS12_PFS_2025_EDGE", regional = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09" }
    error_message = "Both APIs must refuse anything older than TLS 1.2."
  }
}

run "no_web_acl_by_default" {
  command = plan

  assert {
    condition     = length(module.waf) == 0 && length(module.api.web_acl_associations) == 0 && output.web_acl_arn == null
    error_message = "Without waf_enabled or web_acl_arn there is no web ACL."
  }
}

run "waf_enabled_creates_the_baseline_web_acl_on_both_stages" {
  command = plan

  variables {
    waf_enabled    = true
    waf_rate_limit = 500
  }

  assert {
    condition     = length(module.waf) == 1 && module.api.web_acl_associations == { edge = module.waf[0].web_acl_arn, regional = module.waf[0].web_acl_arn }
    error_message = "waf_enabled must create the baseline web ACL and associate it with both stages."
  }

  assert {
    condition     = output.web_acl_arn == module.waf[0].web_acl_arn && module.waf[0].log_group_name == "aws-waf-logs-events-test"
    error_message = "The stack reports the web ACL it associated; the ACL logs to aws-waf-logs-<name>."
  }
}

run "a_given_web_acl_is_used_instead_of_the_stack_s" {
  command = plan

  variables {
    waf_enabled = true
    web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/security-team/99999999-8888-7777-6666-555555555555"
  }

  assert {
    condition     = length(module.waf) == 0 && module.api.web_acl_associations == { edge = var.web_acl_arn, regional = var.web_acl_arn }
    error_message = "web_acl_arn wins: it is associated with both stages and the stack creates no web ACL."
  }
}

run "the_public_throttle_cannot_exceed_the_stage_s" {
  command = plan

  variables {
    api_throttling_rate_limit = 10
    api_public_rate_limit     = 20
  }

  expect_failures = [var.api_public_rate_limit]
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
        for s in jsondecode(doc).Statement : [
          for r in s.Resource : r != "*" || length(setsubtract(s.Action, ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"])) == 0
        ]
      ]
    ]))
    error_message = "Every function statement must name its resources, except for the actions that take no resource type."
  }

  assert {
    condition     = length(jsondecode(module.functions.policy_documents["api"]).Statement) >= 2
    error_message = "The api function must have its own statements."
  }
}

run "every_role_gets_the_permissions_boundary" {
  command = plan

  variables {
    role_permissions_boundary  = "arn:aws:iam::123456789012:policy/landing-zone/workload-boundary"
    manage_api_gateway_account = true
    flow_logs_enabled          = true
  }

  # Every module that creates a role reports it: seven functions, the flow-log
  # role and the API Gateway CloudWatch role.
  assert {
    condition = (
      length(module.functions.role_permissions_boundaries) == 7 &&
      length(module.network.role_permissions_boundaries) == 1 &&
      length(module.api.role_permissions_boundaries) == 1
    )
    error_message = "The functions', the flow-log and the API Gateway CloudWatch roles are expected."
  }

  assert {
    condition = alltrue([
      for b in concat(
        values(module.functions.role_permissions_boundaries),
        values(module.network.role_permissions_boundaries),
        values(module.api.role_permissions_boundaries),
      ) : b == var.role_permissions_boundary
    ])
    error_message = "Every role the stack creates must carry the permissions boundary."
  }
}

run "no_role_has_a_boundary_by_default" {
  command = plan

  variables {
    manage_api_gateway_account = true
  }

  assert {
    condition = length(module.api.role_permissions_boundaries) == 1 && alltrue([
      for b in concat(
        values(module.functions.role_permissions_boundaries),
        values(module.network.role_permissions_boundaries),
        values(module.api.role_permissions_boundaries),
      ) : b == null
    ])
    error_message = "Without role_permissions_boundary no role has a boundary."
  }
}

run "a_permissions_boundary_that_is_not_a_policy_arn_is_refused" {
  command = plan

  variables {
    role_permissions_boundary = "arn:aws:iam::123456789012:role/workload-boundary"
  }

  expect_failures = [var.role_permissions_boundary]
}

run "the_regions_api_gateway_logging_role_is_left_alone_by_default" {
  command = plan

  assert {
    condition     = length(module.api.role_permissions_boundaries) == 0
    error_message = "By default the stack must not create the region-wide API Gateway CloudWatch role (a destroyed stack would leave the region pointing at a deleted role)."
  }
}

run "code_signing_reaches_every_function" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"
  }

  # The functions module's own tests check the attribute; here, that the stack
  # passes it (a wrong ARN would be refused by the functions module too).
  assert {
    condition     = var.code_signing_config_arn == "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"
    error_message = "code_signing_config_arn must be accepted."
  }
}

run "a_code_signing_config_arn_of_another_kind_is_refused" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/events"
  }

  expect_failures = [var.code_signing_config_arn]
}

run "functions_use_the_key_only_through_their_services" {
  command = plan

  assert {
    condition = alltrue([
      for k, doc in module.functions.policy_documents : alltrue([
        for s in jsondecode(doc).Statement :
        length(keys(try(s.Condition.StringEquals, {}))) == 1 && length(try(s.Condition.StringEquals["kms:ViaService"], [])) > 0
        if anytrue([for a in s.Action : startswith(a, "kms:")])
      ])
    ])
    error_message = "Every grant of the key must be limited by kms:ViaService."
  }

  assert {
    condition = {
      for k, doc in module.functions.policy_documents : k => one([
        for s in jsondecode(doc).Statement : s.Condition.StringEquals["kms:ViaService"] if anytrue([for a in s.Action : startswith(a, "kms:")])
      ])
      } == {
      api        = ["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
      publisher  = ["dynamodb.us-east-1.amazonaws.com", "kinesis.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sns.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
      processor  = ["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
      sequencer  = ["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
      analytics  = ["dynamodb.us-east-1.amazonaws.com", "kinesis.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
      notifier   = ["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
      reconciler = ["dynamodb.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"]
    }
    error_message = "Each function may use the key through the services that hold its data only: only the publisher publishes to SNS, only the publisher and analytics touch Kinesis."
  }
}

run "the_key_policy_names_this_stacks_log_groups_topics_and_alarms" {
  command = plan

  # Every module that creates an encrypted log group creates it here: flow logs
  # and the web ACL's logs (prod) on.
  variables {
    flow_logs_enabled = true
    waf_enabled       = true
  }

  # Statement of the key policy by Sid, and its patterns as regular expressions
  # ("*" matches within one path segment). Each log group is named from the
  # resource the module plans (mocked ids), not from the module's own list.
  assert {
    condition = alltrue([
      for name in concat(
        values(module.functions.log_group_names),
        [module.network.flow_log_group_name],
        values(module.api.access_log_group_names),
        values(module.api.execution_log_group_names),
        [module.waf[0].log_group_name],
        ) : anytrue([
          for pattern in one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] if s.Sid == "CloudWatchLogsEncryptsThisStacksLogGroups"]) :
          can(regex("^${replace(replace(pattern, ".", "\\."), "*", "[^/]*")}$", "arn:aws:logs:us-east-1:123456789012:log-group:${name}"))
      ])
    ])
    error_message = "The key policy must let CloudWatch Logs encrypt every log group the stack creates (functions', flow logs, API access and execution logs, WAF logs)."
  }

  assert {
    condition = length(concat(
      values(module.functions.log_group_names),
      [module.network.flow_log_group_name],
      values(module.api.access_log_group_names),
      values(module.api.execution_log_group_names),
      [module.waf[0].log_group_name],
    )) == 7 + 1 + 2 + 2 + 1
    error_message = "The run must see every encrypted log group: seven functions', flow logs, two access, two execution and the WAF's."
  }

  assert {
    condition = alltrue([
      for pattern in one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"] if s.Sid == "CloudWatchLogsEncryptsThisStacksLogGroups"]) :
      strcontains(pattern, "events-test") || strcontains(pattern, "API-Gateway-Execution-Logs_*/api")
    ])
    error_message = "Each log group the key policy names must be this stack's (its name, or its stage's execution logs)."
  }

  assert {
    condition = toset(one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Condition.ArnLike["aws:SourceArn"] if s.Sid == "ThisStacksTopicsDeliverEncrypted"])) == toset([
      for k in ["standard", "fifo"] : "arn:aws:sns:us-east-1:123456789012:${module.messaging.topics[k].name}"
    ])
    error_message = "SNS may use the key for this stack's two work topics only."
  }

  assert {
    condition = alltrue([
      for name in module.observability.alarm_names : anytrue([
        for pattern in one([for s in jsondecode(aws_kms_key.this.policy).Statement : s.Condition.ArnLike["aws:SourceArn"] if s.Sid == "ThisStacksAlarmsPublishEncrypted"]) :
        can(regex("^${replace(pattern, "*", ".*")}$", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}"))
      ])
    ]) && length(module.observability.alarm_names) > 0
    error_message = "CloudWatch may use the key for this stack's alarms."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_kms_key.this.policy).Statement :
      try(s.Condition.StringEquals["aws:SourceAccount"], "") == "123456789012" && length(try(s.Condition.ArnLike["aws:SourceArn"], [])) > 0
      if contains(["ThisStacksTopicsDeliverEncrypted", "ThisStacksAlarmsPublishEncrypted"], s.Sid)
    ])
    error_message = "Service principals may use the key only for this account's sources named by aws:SourceArn."
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

run "an_override_for_an_unknown_function_is_refused" {
  command = plan

  variables {
    functions = {
      worker = { memory_size = 512 }
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
      api       = { memory_size = 64 }
      notifier  = { timeout = 901 }
      processor = { reserved_concurrency = 2.5 }
    }
  }

  expect_failures = [var.functions]
}

run "an_api_timeout_above_api_gateway_s_is_refused" {
  command = plan

  variables {
    functions = {
      api = { timeout = 30 }
    }
  }

  expect_failures = [var.functions]
}

run "a_reconciler_timeout_below_60_is_refused" {
  command = plan

  variables {
    functions = {
      reconciler = { timeout = 59 }
    }
  }

  expect_failures = [var.functions]
}

run "reserved_concurrency_must_leave_100_unreserved" {
  command = plan

  variables {
    lambda_concurrency_quota = 1000
    functions = {
      api       = { reserved_concurrency = 800 }
      publisher = { reserved_concurrency = 101 }
    }
  }

  expect_failures = [var.functions]
}

# prod's reservations (envs/prod/terraform.tfvars): 166 in all, so the account
# needs at least 266 concurrent executions; prod declares the usual 1000.
run "prod_s_reservations_fit_its_declared_quota" {
  command = plan

  variables {
    lambda_concurrency_quota = 1000
    functions = {
      api        = { reserved_concurrency = 100 }
      publisher  = { reserved_concurrency = 20 }
      processor  = { reserved_concurrency = 20 }
      sequencer  = { reserved_concurrency = 10 }
      analytics  = { reserved_concurrency = 10 }
      notifier   = { reserved_concurrency = 5 }
      reconciler = { reserved_concurrency = 1 }
    }
  }

  assert {
    condition     = sum([for k, f in output.sizing.functions : coalesce(f.reserved_concurrency, 0)]) == 166
    error_message = "prod reserves 166 concurrent executions."
  }
}

run "prod_s_reservations_are_refused_below_266" {
  command = plan

  variables {
    lambda_concurrency_quota = 265
    functions = {
      api        = { reserved_concurrency = 100 }
      publisher  = { reserved_concurrency = 20 }
      processor  = { reserved_concurrency = 20 }
      sequencer  = { reserved_concurrency = 10 }
      analytics  = { reserved_concurrency = 10 }
      notifier   = { reserved_concurrency = 5 }
      reconciler = { reserved_concurrency = 1 }
    }
  }

  expect_failures = [var.functions]
}

# The local root, like a new account, has no API Gateway CloudWatch role: it sets one.
run "the_local_root_sets_the_api_gateway_logging_role" {
  command = plan

  # What envs/local/terraform.tfvars says (the local root's only difference from the others).
  variables {
    manage_api_gateway_account = can(regex("(?m)^manage_api_gateway_account\\s*=\\s*true\\s*$", file("../../envs/local/terraform.tfvars")))
  }

  assert {
    condition     = length(module.api.role_permissions_boundaries) == 1 && module.api.cloudwatch_role_arn != null
    error_message = "envs/local must set manage_api_gateway_account = true, so that the stack creates the API Gateway CloudWatch role and sets it in the account settings: the local cloud, like a new account, has none, and both stages log."
  }
}

run "sizing_is_known_at_plan_from_the_inputs" {
  command = plan

  variables {
    functions = {
      api       = { memory_size = 512, reserved_concurrency = 100 }
      publisher = { reserved_concurrency = 20 }
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
      output.sizing.functions["api"].memory_size == 512 && output.sizing.functions["api"].timeout == 10 && output.sizing.functions["api"].reserved_concurrency == 100 &&
      output.sizing.functions["processor"].memory_size == 256 && output.sizing.functions["processor"].reserved_concurrency == null &&
      output.sizing.functions["reconciler"].timeout == 120 && length(output.sizing.functions) == 7
    )
    error_message = "sizing must carry each function's effective memory, timeout and reserved concurrency: the overrides over the stack's defaults."
  }

  assert {
    condition = alltrue([
      for k, c in module.functions.configurations :
      c.memory_size == output.sizing.functions[k].memory_size && c.timeout == output.sizing.functions[k].timeout && c.reserved_concurrency == output.sizing.functions[k].reserved_concurrency
    ])
    error_message = "sizing must match what the functions get."
  }
}

################################################################################
# Function sizes: per-function defaults, overridden by name
################################################################################

run "functions_get_the_stack_s_defaults" {
  command = plan

  assert {
    condition = alltrue([
      for k, d in local.function_defaults :
      module.functions.configurations[k].memory_size == d.memory_size && module.functions.configurations[k].timeout == d.timeout && module.functions.configurations[k].reserved_concurrency == null
    ])
    error_message = "Without overrides every function gets the stack's default memory and timeout, unreserved."
  }

  assert {
    condition     = module.functions.configurations["api"].memory_size > module.functions.configurations["processor"].memory_size && module.functions.configurations["api"].timeout <= 29
    error_message = "The api gets more memory (CPU for its cold start) and a timeout under API Gateway's 29 s."
  }
}

run "overrides_change_only_what_they_name" {
  command = plan

  variables {
    functions = {
      analytics = { memory_size = 1536 }
    }
  }

  assert {
    condition     = module.functions.configurations["analytics"].memory_size == 1536 && module.functions.configurations["analytics"].timeout == local.function_defaults["analytics"].timeout
    error_message = "An override of analytics' memory must leave its timeout at the default."
  }

  assert {
    condition = alltrue([
      for k, c in module.functions.configurations :
      c.memory_size == local.function_defaults[k].memory_size && c.timeout == local.function_defaults[k].timeout && c.reserved_concurrency == null if k != "analytics"
    ])
    error_message = "An override of one function must leave the others at their defaults."
  }

  assert {
    condition     = module.functions.configurations["analytics"].memory_size == output.sizing.functions["analytics"].memory_size
    error_message = "sizing must report the overridden memory."
  }
}

run "the_publisher_outlives_a_call_s_worst_case" {
  command = plan

  # chalicelib/aws.py: 3 attempts x (2 s connect + 5 s read) + 2 s + 4 s of backoff.
  assert {
    condition     = module.functions.configurations["publisher"].timeout >= 60 && module.functions.configurations["publisher"].timeout >= 2 * (3 * (2 + 5) + 2 + 4)
    error_message = "The publisher's timeout must leave room for two calls' worst case (27 s each)."
  }
}

run "a_publisher_timeout_of_15_is_refused" {
  command = plan

  variables {
    functions = {
      publisher = { timeout = 15 }
    }
  }

  expect_failures = [var.functions]
}

################################################################################
# SQS mappings respect reserved concurrency
################################################################################

run "sqs_consumers_with_reserved_concurrency_cap_their_pollers" {
  command = plan

  # prod's reserved concurrency
  variables {
    functions = {
      api        = { reserved_concurrency = 100 }
      publisher  = { reserved_concurrency = 20 }
      processor  = { reserved_concurrency = 20 }
      sequencer  = { reserved_concurrency = 10 }
      analytics  = { reserved_concurrency = 10 }
      notifier   = { reserved_concurrency = 5 }
      reconciler = { reserved_concurrency = 1 }
    }
  }

  assert {
    condition     = module.functions.event_source_mappings["processor-standard-queue"].maximum_concurrency == 20 && module.functions.configurations["processor"].reserved_concurrency == 20
    error_message = "The processor's mapping must poll with at most its reserved concurrency (20)."
  }

  assert {
    condition     = module.functions.event_source_mappings["sequencer-fifo-queue"].maximum_concurrency == 10 && module.functions.configurations["sequencer"].reserved_concurrency == 10
    error_message = "The sequencer's mapping must poll with at most its reserved concurrency (10)."
  }

  assert {
    condition     = module.functions.event_source_mappings["publisher-table-stream"].maximum_concurrency == null && module.functions.event_source_mappings["analytics-kinesis"].maximum_concurrency == null
    error_message = "Stream mappings take no maximum_concurrency (SQS only)."
  }
}

run "sqs_consumers_without_reserved_concurrency_are_not_capped" {
  command = plan

  assert {
    condition     = module.functions.event_source_mappings["processor-standard-queue"].maximum_concurrency == null && module.functions.event_source_mappings["sequencer-fifo-queue"].maximum_concurrency == null
    error_message = "Without reserved concurrency the SQS mappings keep Lambda's own scaling (no maximum_concurrency)."
  }
}

run "a_poller_cap_stops_at_1000" {
  command = plan

  variables {
    lambda_concurrency_quota = 3000
    functions = {
      processor = { reserved_concurrency = 1500 }
    }
  }

  assert {
    condition     = module.functions.event_source_mappings["processor-standard-queue"].maximum_concurrency == 1000
    error_message = "maximum_concurrency is at most 1000, whatever the reserved concurrency."
  }
}

run "an_sqs_consumer_reserved_at_one_is_refused" {
  command = plan

  variables {
    functions = {
      sequencer = { reserved_concurrency = 1 }
    }
  }

  expect_failures = [var.functions]
}

################################################################################
# Stream mappings give up while the records can still be replayed
################################################################################

run "stream_mappings_give_up_while_their_records_can_be_replayed" {
  command = plan

  assert {
    condition = alltrue([
      for k in ["publisher-table-stream", "analytics-kinesis"] :
      module.functions.event_source_mappings[k].maximum_record_age_in_seconds == 21600 && module.functions.event_source_mappings[k].maximum_record_age_in_seconds < 24 * 3600
    ])
    error_message = "Both stream mappings must give up on a record after 6 hours, well inside the 24 hours the streams keep it."
  }

  assert {
    condition = alltrue([
      for k in ["publisher-table-stream", "analytics-kinesis"] :
      module.functions.event_source_mappings[k].on_failure_destination_arn == module.messaging.stream_failure_queue_arn
    ])
    error_message = "A record a stream mapping gives up on must go to the stream failure queue."
  }
}

run "a_record_age_below_60_seconds_is_refused" {
  command = plan

  variables {
    stream_maximum_record_age_in_seconds = 59
  }

  expect_failures = [var.stream_maximum_record_age_in_seconds]
}

run "a_record_age_the_streams_cannot_replay_is_refused" {
  command = plan

  variables {
    stream_maximum_record_age_in_seconds = 79201
  }

  expect_failures = [var.stream_maximum_record_age_in_seconds]
}

run "a_record_age_of_22_hours_is_accepted" {
  command = plan

  variables {
    stream_maximum_record_age_in_seconds = 79200
  }

  assert {
    condition     = module.functions.event_source_mappings["analytics-kinesis"].maximum_record_age_in_seconds == 79200
    error_message = "22 hours (the streams' 24 hours minus 2) must be accepted."
  }
}

run "both_stream_mappings_feed_one_batch_per_shard_by_default" {
  command = plan

  assert {
    condition = alltrue([
      for k in ["publisher-table-stream", "analytics-kinesis"] : module.functions.event_source_mappings[k].parallelization_factor == 1
    ])
    error_message = "Both stream mappings must default to ParallelizationFactor 1."
  }
}

run "a_parallelization_factor_lifts_both_stream_mappings" {
  command = plan

  variables {
    stream_parallelization_factor = 4
  }

  assert {
    condition = alltrue([
      for k in ["publisher-table-stream", "analytics-kinesis"] : module.functions.event_source_mappings[k].parallelization_factor == 4
    ]) && output.sizing.stream_parallelization_factor == 4
    error_message = "stream_parallelization_factor must reach both stream mappings and the sizing output."
  }
}

run "a_parallelization_factor_above_10_is_refused" {
  command = plan

  variables {
    stream_parallelization_factor = 11
  }

  expect_failures = [var.stream_parallelization_factor]
}

################################################################################
# Triggers, environment and permissions follow the code
################################################################################

run "the_publisher_is_invoked_only_for_new_events" {
  command = plan

  assert {
    condition = (
      length(module.functions.event_source_mappings["publisher-table-stream"].filter_patterns) == 1 &&
      jsondecode(module.functions.event_source_mappings["publisher-table-stream"].filter_patterns[0]) == {
        dynamodb = {
          NewImage = {
            entity       = { S = ["event"] }
            sequence     = { N = [{ exists = false }] }
            processed_at = { S = [{ exists = false }] }
            notified_at  = { S = [{ exists = false }] }
          }
        }
      }
    )
    error_message = "The publisher's mapping must deliver only new event items (entity event, no lane's mark yet), filtering on the dynamodb key alone."
  }

  assert {
    condition     = alltrue([for k, m in module.functions.event_source_mappings : length(m.filter_patterns) == 0 if k != "publisher-table-stream"])
    error_message = "The other mappings deliver every record."
  }
}

run "consumers_know_the_receive_limit" {
  command = plan

  variables {
    max_receive_count = 5
  }

  assert {
    condition     = module.functions.environments["processor"]["MAX_RECEIVE_COUNT"] == "5" && module.functions.environments["sequencer"]["MAX_RECEIVE_COUNT"] == "5"
    error_message = "The SQS consumers must get MAX_RECEIVE_COUNT = max_receive_count."
  }

  assert {
    condition     = alltrue([for k, e in module.functions.environments : !contains(keys(e), "MAX_RECEIVE_COUNT") if !contains(["processor", "sequencer"], k)])
    error_message = "Only the SQS consumers read MAX_RECEIVE_COUNT."
  }
}

run "each_function_gets_only_the_table_actions_it_uses" {
  command = plan

  assert {
    condition = alltrue([
      for k, expected in {
        api        = ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        publisher  = []
        processor  = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        sequencer  = ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        analytics  = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        notifier   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
        reconciler = ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
      } :
      jsonencode(sort(distinct(flatten([
        for s in jsondecode(module.functions.policy_documents[k]).Statement : [for a in s.Action : a if startswith(a, "dynamodb:")] if contains(s.Resource, module.data.table_arn) && s.Sid != "LogKeyItem"
      ])))) == jsonencode(expected)
    ])
    error_message = "Each function's table actions must be exactly those its code uses."
  }

  assert {
    condition = alltrue([
      for k, doc in module.functions.policy_documents : jsonencode([
        for s in jsondecode(doc).Statement : s if s.Sid == "LogKeyItem"
        ]) == jsonencode(contains(["publisher", "processor", "sequencer", "analytics", "notifier"], k) ? [{
          Sid       = "LogKeyItem"
          Effect    = "Allow"
          Action    = ["dynamodb:GetItem", "dynamodb:PutItem"]
          Resource  = [module.data.table_arn]
          Condition = { "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["KEY#log"] } }
      }] : [])
    ])
    error_message = "The functions that log subjects may read and create the log key's item, and no other item through it."
  }

  assert {
    condition     = alltrue([for k in ["publisher", "processor", "sequencer", "analytics", "notifier"] : module.functions.environments[k]["EVENTS_TABLE_NAME"] == module.data.table_name])
    error_message = "Every function that hashes subjects reads the log key from the events table."
  }

  assert {
    condition = alltrue([
      for k, doc in module.functions.policy_documents : jsonencode(sort(distinct(flatten([
        for s in jsondecode(doc).Statement : [for a in s.Action : a if startswith(a, "dynamodb:")] if contains(s.Resource, module.data.pending_index_arn)
      ])))) == jsonencode(k == "reconciler" ? ["dynamodb:Query"] : [])
    ])
    error_message = "Only the reconciler may query the pending index."
  }

  assert {
    condition = alltrue(flatten([
      for k, doc in module.functions.policy_documents : [
        for s in jsondecode(doc).Statement : [
          for r in s.Resource : contains([module.data.table_arn, module.data.pending_index_arn, module.data.stream_arn], r)
        ] if anytrue([for a in s.Action : startswith(a, "dynamodb:")])
      ]
    ]))
    error_message = "DynamoDB actions may name only the table, its pending index and (the publisher's trigger) its stream."
  }
}

run "the_reconciler_repairs_without_publishing" {
  command = plan

  assert {
    condition = !anytrue(flatten([
      for s in jsondecode(module.functions.policy_documents["reconciler"]).Statement : [for a in s.Action : startswith(a, "sns:") || startswith(a, "kinesis:")]
    ]))
    error_message = "The reconciler no longer publishes: no SNS or Kinesis action."
  }

  assert {
    condition = (
      length(setintersection(keys(module.functions.environments["reconciler"]), ["STANDARD_TOPIC_ARN", "FIFO_TOPIC_ARN", "EVENTS_STREAM_NAME"])) == 0 &&
      alltrue([for v in ["EVENTS_TABLE_NAME", "DLQ_URLS", "RECONCILE_AFTER_SECONDS"] : contains(keys(module.functions.environments["reconciler"]), v)])
    )
    error_message = "The reconciler needs the table, the DLQs and its age threshold, and no topic or stream."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(module.functions.policy_documents["reconciler"]).Statement :
      s.Action == ["sqs:GetQueueAttributes"] && length(s.Resource) == 4
    ])
    error_message = "The reconciler reads the depth of every DLQ and failure queue."
  }
}

# The reconciler's ReconcileFailures (chalicelib/reconcile.py) has an alarm (its metric, namespace and
# dimensions are the observability module's tests' concern; the stack passes what the function emits).
run "reconcile_failures_have_an_alarm" {
  command = plan

  assert {
    condition     = module.observability.alarms["reconcile-failures"].name == "events-test-reconcile-failures"
    error_message = "The reconciler's failures need an alarm."
  }
}

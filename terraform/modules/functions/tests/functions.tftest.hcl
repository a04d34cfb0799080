# Plan-only tests of the functions module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name               = "events-test"
  zip_path           = "../stack/tests/fixtures/deployment.zip"
  subnet_ids         = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
  security_group_ids = ["sg-0cccccccccccccccc"]
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"

  dead_letter_queue_arn = "arn:aws:sqs:us-east-1:123456789012:events-test-function-dlq"
  common_environment    = { POWERTOOLS_SERVICE_NAME = "events" }

  functions = {
    api = {
      handler     = "app.app"
      environment = { EVENTS_TABLE_NAME = "events-test-events" }
      policy_statements = [{
        sid       = "EventsTable"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
        resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/events-test-events"]
      }]
    }
    publisher = { handler = "app.publisher", memory_size = 512, reserved_concurrency = 5 }
    processor = { handler = "app.processor" }
    notifier  = { handler = "app.notifier" }
  }

  event_source_mappings = {
    publisher-table-stream = {
      function                   = "publisher"
      source_type                = "dynamodb"
      event_source_arn           = "arn:aws:dynamodb:us-east-1:123456789012:table/events-test-events/stream/2026-01-01T00:00:00.000"
      starting_position          = "TRIM_HORIZON"
      batch_size                 = 100
      on_failure_destination_arn = "arn:aws:sqs:us-east-1:123456789012:events-test-stream-failures"
    }
    processor-queue = {
      function         = "processor"
      source_type      = "sqs"
      event_source_arn = "arn:aws:sqs:us-east-1:123456789012:events-test-standard"
      batch_size       = 10
    }
  }

  sns_subscriptions = {
    notifier-alerts = {
      function      = "notifier"
      topic_arn     = "arn:aws:sns:us-east-1:123456789012:events-test-standard"
      filter_policy = "{\"type\":[{\"prefix\":\"alert.\"}]}"
    }
  }

  schedules = {
    api-warm = { function = "api", schedule_expression = "rate(5 minutes)" }
  }
}

run "functions_in_the_vpc_traced_and_encrypted" {
  command = plan

  assert {
    condition = alltrue([
      for k, f in aws_lambda_function.this :
      toset(f.vpc_config[0].subnet_ids) == toset(var.subnet_ids) && toset(f.vpc_config[0].security_group_ids) == toset(var.security_group_ids)
    ])
    error_message = "Every function must run in the given subnets with the given security group."
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.tracing_config[0].mode == "Active" && f.kms_key_arn == var.kms_key_arn])
    error_message = "Every function must be traced and have its environment encrypted."
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.dead_letter_config[0].target_arn == var.dead_letter_queue_arn])
    error_message = "Every function must send failed asynchronous invocations to the DLQ."
  }

  assert {
    condition     = aws_lambda_function.this["api"].function_name == "events-test-api" && aws_lambda_function.this["api"].handler == "app.app"
    error_message = "Functions are named <name>-<key> and keep their handler."
  }

  assert {
    condition     = aws_lambda_function.this["api"].environment[0].variables == tomap({ POWERTOOLS_SERVICE_NAME = "events", EVENTS_TABLE_NAME = "events-test-events" })
    error_message = "A function's environment is the common one plus its own."
  }

  assert {
    condition     = aws_lambda_function.this["publisher"].memory_size == 512 && aws_lambda_function.this["publisher"].reserved_concurrent_executions == 5 && aws_lambda_function.this["processor"].memory_size == 256 && aws_lambda_function.this["processor"].timeout == 15
    error_message = "Per-function settings and their defaults (256 MB, 15 s) must apply."
  }

  assert {
    condition     = alltrue([for k, g in aws_cloudwatch_log_group.this : g.kms_key_id == var.kms_key_arn && g.retention_in_days == 365 && g.name == "/aws/lambda/events-test-${k}"])
    error_message = "Each function's log group must exist up front, encrypted, with a retention."
  }
}

run "least_privilege_roles" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for k, p in aws_iam_role_policy.this : [
        for s in jsondecode(p.policy).Statement : [for a in s.Action : a != "*" && !endswith(a, ":*")]
      ]
    ]))
    error_message = "No statement may allow \"*\" or \"service:*\"."
  }

  assert {
    condition = alltrue(flatten([
      for k, p in aws_iam_role_policy.this : [
        for s in jsondecode(p.policy).Statement : [
          for r in s.Resource : r != "*" || length(setsubtract(s.Action, ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"])) == 0
        ]
      ]
    ]))
    error_message = "Every statement must name its resources, except for the actions that take no resource type."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.this["processor"].policy).Statement :
      contains(s.Action, "sqs:ReceiveMessage") && s.Resource == [var.event_source_mappings["processor-queue"].event_source_arn]
    ])
    error_message = "An SQS consumer may read its own queue."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_iam_role_policy.this["publisher"].policy).Statement :
      s.Action == ["sqs:SendMessage"] && s.Resource == [var.event_source_mappings["publisher-table-stream"].on_failure_destination_arn]
    ])
    error_message = "A stream consumer may send to its on-failure queue."
  }

  assert {
    condition = !anytrue([
      for s in jsondecode(aws_iam_role_policy.this["api"].policy).Statement : contains(s.Action, "sqs:ReceiveMessage")
    ])
    error_message = "A function without an SQS trigger must not read queues."
  }

  assert {
    condition = alltrue([
      for k, p in aws_iam_role_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Sid == "WriteOwnLogs" && s.Action == ["logs:CreateLogStream", "logs:PutLogEvents"] && s.Resource == ["${aws_cloudwatch_log_group.this[k].arn}:*"]
      ])
    ])
    error_message = "Each function may write to its own log group's streams."
  }

  assert {
    condition = alltrue(flatten([
      for k, p in aws_iam_role_policy.this : [
        for s in jsondecode(p.policy).Statement : [
          for r in s.Resource : r == "${aws_cloudwatch_log_group.this[k].arn}:*" if anytrue([for a in s.Action : startswith(a, "logs:")])
        ]
      ]
    ]))
    error_message = "No function may touch any log group but its own."
  }

  assert {
    condition = alltrue(flatten([
      for k, p in aws_iam_role_policy.this : [
        for s in jsondecode(p.policy).Statement : !contains(s.Action, "logs:CreateLogGroup")
      ]
    ]))
    error_message = "No function may create a log group (its own exists, encrypted and with a retention)."
  }

  assert {
    condition = alltrue([
      for k, p in aws_iam_role_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        s.Action == ["ec2:CreateNetworkInterface"] && toset(s.Resource) == toset([
          "arn:aws:ec2:us-east-1:123456789012:network-interface/*",
          "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0aaaaaaaaaaaaaaaa",
          "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0bbbbbbbbbbbbbbbb",
          "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0cccccccccccccccc",
        ])
      ])
    ])
    error_message = "A function may create network interfaces in its own subnets and security groups only."
  }

  assert {
    condition = alltrue([
      for k, p in aws_iam_role_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement :
        toset(s.Action) == toset(["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]) &&
        s.Resource == ["arn:aws:ec2:us-east-1:123456789012:network-interface/*"]
      ])
    ])
    error_message = "A function may manage the network interfaces of its account and region only."
  }

  # "Giving Lambda functions access to resources in an Amazon VPC" (Lambda developer guide):
  # Lambda checks the execution role for these six actions when a function gets a VPC config,
  # with no condition context, and DescribeNetworkInterfaces "only works if it's allowed on all
  # resources".
  assert {
    condition = alltrue([
      for k, p in aws_iam_role_policy.this : alltrue([
        for action in ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"] :
        anytrue([for s in jsondecode(p.policy).Statement : contains(s.Action, action) && !contains(keys(s), "Condition") && s.Effect == "Allow"])
      ])
    ])
    error_message = "Each function's role must allow, without conditions, every EC2 action Lambda checks for a VPC function."
  }

  assert {
    condition = alltrue([
      for k, p in aws_iam_role_policy.this : alltrue([
        for action in ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"] :
        anytrue([for s in jsondecode(p.policy).Statement : contains(s.Action, action) && s.Resource == ["*"] && !contains(keys(s), "Condition")])
      ])
    ])
    error_message = "DescribeNetworkInterfaces and DescribeSubnets must be allowed on \"*\", the only resource they take."
  }

  assert {
    condition = alltrue(flatten([
      for k, p in aws_iam_role_policy.this : [
        for s in jsondecode(p.policy).Statement : !contains(keys(s), "Condition") if anytrue([for a in s.Action : startswith(a, "ec2:")])
      ]
    ]))
    error_message = "No EC2 statement may carry a condition: Lambda's check supplies none, so it would never match."
  }

  assert {
    condition = alltrue([
      for k, p in aws_iam_role_policy.this : anytrue([
        for s in jsondecode(p.policy).Statement : toset(s.Action) == toset(["xray:PutTelemetryRecords", "xray:PutTraceSegments"])
      ])
    ])
    error_message = "With Active tracing each function may send its traces."
  }
}

run "pass_through_tracing_needs_no_xray_permission" {
  command = plan

  variables {
    tracing_mode = "PassThrough"
  }

  assert {
    condition = !anytrue(flatten([
      for k, p in aws_iam_role_policy.this : [for s in jsondecode(p.policy).Statement : anytrue([for a in s.Action : startswith(a, "xray:")])]
    ]))
    error_message = "Without Active tracing no role may write traces."
  }
}

run "statements_carry_their_conditions" {
  command = plan

  variables {
    functions = {
      api = {
        handler = "app.app"
        policy_statements = [{
          sid        = "UseKey"
          actions    = ["kms:Decrypt", "kms:GenerateDataKey"]
          resources  = ["arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"]
          conditions = [{ test = "StringEquals", variable = "kms:ViaService", values = ["dynamodb.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"] }]
        }]
      }
    }
    event_source_mappings = {}
    sns_subscriptions     = {}
    schedules             = {}
  }

  assert {
    condition = one([
      for s in jsondecode(aws_iam_role_policy.this["api"].policy).Statement : try(s.Condition, null) if s.Sid == "UseKey"
    ]) == { StringEquals = { "kms:ViaService" = ["dynamodb.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com"] } }
    error_message = "A statement's conditions must reach the policy, grouped by test."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this["api"].policy).Statement : !contains(keys(s), "Condition") if s.Sid == "SendToDeadLetterQueue"
    ])
    error_message = "A statement without conditions has no Condition element."
  }
}

run "roles_get_the_permissions_boundary" {
  command = plan

  variables {
    role_permissions_boundary = "arn:aws:iam::123456789012:policy/landing-zone/workload-boundary"
  }

  assert {
    condition     = alltrue([for k, r in aws_iam_role.this : r.permissions_boundary == var.role_permissions_boundary])
    error_message = "Every function's role must carry the permissions boundary."
  }

  assert {
    condition     = output.role_permissions_boundaries == { for k in keys(var.functions) : k => var.role_permissions_boundary }
    error_message = "role_permissions_boundaries must report the boundary of every role."
  }
}

run "no_permissions_boundary_by_default" {
  command = plan

  assert {
    condition     = alltrue([for k, r in aws_iam_role.this : r.permissions_boundary == null])
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

run "code_signing_is_off_by_default" {
  command = plan

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.code_signing_config_arn == null])
    error_message = "Without code_signing_config_arn no function has a code signing configuration."
  }
}

run "code_signing_config_reaches_every_function" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0"
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.code_signing_config_arn == var.code_signing_config_arn])
    error_message = "code_signing_config_arn must reach every function."
  }
}

run "a_code_signing_config_arn_of_another_kind_is_refused" {
  command = plan

  variables {
    code_signing_config_arn = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/events"
  }

  expect_failures = [var.code_signing_config_arn]
}

run "a_statement_carries_its_conditions" {
  command = plan

  variables {
    functions = {
      api = {
        handler = "app.app"
        policy_statements = [
          {
            sid       = "KeyItems"
            actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
            resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/t"]
            conditions = [
              { test = "ForAllValues:StringEquals", variable = "dynamodb:LeadingKeys", values = ["KEY#log"] },
              { test = "ForAllValues:StringEquals", variable = "dynamodb:Attributes", values = ["pk", "sk", "secret"] },
              { test = "Bool", variable = "aws:SecureTransport", values = ["true"] },
            ]
          },
          { sid = "Plain", actions = ["dynamodb:Query"], resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/t"] },
        ]
      }
    }
    event_source_mappings = {}
    sns_subscriptions     = {}
    schedules             = {}
  }

  assert {
    condition = one([for s in jsondecode(aws_iam_role_policy.this["api"].policy).Statement : s.Condition if s.Sid == "KeyItems"]) == {
      "ForAllValues:StringEquals" = { "dynamodb:LeadingKeys" = ["KEY#log"], "dynamodb:Attributes" = ["pk", "sk", "secret"] }
      Bool                        = { "aws:SecureTransport" = ["true"] }
    }
    error_message = "A statement's conditions must be rendered as one Condition block, grouped by test."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this["api"].policy).Statement : !contains(keys(s), "Condition")
      if s.Sid != "KeyItems"
    ])
    error_message = "A statement without conditions, the module's own included, must have no Condition block."
  }
}

run "a_wildcard_action_is_rejected" {
  command = plan

  variables {
    functions = {
      api = {
        handler           = "app.app"
        policy_statements = [{ sid = "Everything", actions = ["dynamodb:*"], resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/t"] }]
      }
    }
    event_source_mappings = {}
    sns_subscriptions     = {}
    schedules             = {}
  }

  expect_failures = [var.functions]
}

run "a_wildcard_resource_is_rejected" {
  command = plan

  variables {
    functions = {
      api = {
        handler           = "app.app"
        policy_statements = [{ sid = "AnyTable", actions = ["dynamodb:GetItem"], resources = ["*"] }]
      }
    }
    event_source_mappings = {}
    sns_subscriptions     = {}
    schedules             = {}
  }

  expect_failures = [var.functions]
}

run "mappings_report_partial_batch_failures" {
  command = plan

  assert {
    condition     = alltrue([for k, m in aws_lambda_event_source_mapping.this : m.function_response_types == toset(["ReportBatchItemFailures"])])
    error_message = "Every mapping must report batch item failures."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.this["publisher-table-stream"].starting_position == "TRIM_HORIZON" &&
      aws_lambda_event_source_mapping.this["publisher-table-stream"].bisect_batch_on_function_error &&
      aws_lambda_event_source_mapping.this["publisher-table-stream"].maximum_retry_attempts == 3 &&
      aws_lambda_event_source_mapping.this["publisher-table-stream"].destination_config[0].on_failure[0].destination_arn == var.event_source_mappings["publisher-table-stream"].on_failure_destination_arn
    )
    error_message = "Stream mappings must bisect, retry a bounded number of times and send failures on."
  }

  assert {
    condition = (
      aws_lambda_event_source_mapping.this["processor-queue"].starting_position == null &&
      length(aws_lambda_event_source_mapping.this["processor-queue"].destination_config) == 0 &&
      aws_lambda_event_source_mapping.this["processor-queue"].batch_size == 10
    )
    error_message = "SQS mappings take no stream-only settings."
  }
}

run "mappings_take_filters_and_a_poller_cap" {
  command = plan

  variables {
    event_source_mappings = {
      publisher-table-stream = {
        function                      = "publisher"
        source_type                   = "dynamodb"
        event_source_arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/events-test-events/stream/2026-01-01T00:00:00.000"
        batch_size                    = 100
        maximum_record_age_in_seconds = 21600
        on_failure_destination_arn    = "arn:aws:sqs:us-east-1:123456789012:events-test-stream-failures"
        filter_patterns               = [jsonencode({ eventName = ["INSERT"] })]
      }
      processor-queue = {
        function            = "processor"
        source_type         = "sqs"
        event_source_arn    = "arn:aws:sqs:us-east-1:123456789012:events-test-standard"
        maximum_concurrency = 5
      }
    }
  }

  assert {
    condition     = [for f in aws_lambda_event_source_mapping.this["publisher-table-stream"].filter_criteria[0].filter : f.pattern] == ["{\"eventName\":[\"INSERT\"]}"]
    error_message = "Each filter pattern must become one filter of the mapping's filter_criteria."
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.this["processor-queue"].filter_criteria) == 0
    error_message = "A mapping without patterns has no filter_criteria."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.this["processor-queue"].scaling_config[0].maximum_concurrency == 5 && length(aws_lambda_event_source_mapping.this["publisher-table-stream"].scaling_config) == 0
    error_message = "maximum_concurrency must reach the SQS mapping's scaling_config, and only SQS mappings."
  }

  assert {
    condition = jsonencode(output.event_source_mappings["publisher-table-stream"]) == jsonencode({
      function                       = "publisher"
      source_type                    = "dynamodb"
      batch_size                     = 100
      maximum_concurrency            = null
      maximum_record_age_in_seconds  = 21600
      maximum_retry_attempts         = 3
      bisect_batch_on_function_error = true
      parallelization_factor         = 1
      on_failure_destination_arn     = "arn:aws:sqs:us-east-1:123456789012:events-test-stream-failures"
      filter_patterns                = ["{\"eventName\":[\"INSERT\"]}"]
    })
    error_message = "event_source_mappings must describe what the stream mapping was given."
  }

  assert {
    condition = (
      output.event_source_mappings["processor-queue"].maximum_concurrency == 5 &&
      output.event_source_mappings["processor-queue"].maximum_record_age_in_seconds == null &&
      output.event_source_mappings["processor-queue"].on_failure_destination_arn == null &&
      output.event_source_mappings["processor-queue"].parallelization_factor == null &&
      length(output.event_source_mappings["processor-queue"].filter_patterns) == 0
    )
    error_message = "event_source_mappings must describe an SQS mapping without stream-only settings."
  }
}

run "a_filter_pattern_that_is_not_json_is_rejected" {
  command = plan

  variables {
    event_source_mappings = {
      processor-queue = {
        function         = "processor"
        source_type      = "sqs"
        event_source_arn = "arn:aws:sqs:us-east-1:123456789012:events-test-standard"
        filter_patterns  = ["eventName = INSERT"]
      }
    }
  }

  expect_failures = [var.event_source_mappings]
}

run "environments_are_reported_per_function" {
  command = plan

  assert {
    condition     = output.environments["api"] == tomap({ POWERTOOLS_SERVICE_NAME = "events", EVENTS_TABLE_NAME = "events-test-events" }) && output.environments["processor"] == tomap({ POWERTOOLS_SERVICE_NAME = "events" })
    error_message = "environments must give each function's variables: the common ones merged with its own."
  }
}

run "push_triggers_are_permitted_and_filtered" {
  command = plan

  assert {
    condition     = jsondecode(aws_sns_topic_subscription.this["notifier-alerts"].filter_policy) == { type = [{ prefix = "alert." }] } && aws_sns_topic_subscription.this["notifier-alerts"].filter_policy_scope == "MessageAttributes"
    error_message = "The notifier subscription must filter on type prefix alert."
  }

  assert {
    condition     = aws_lambda_permission.sns["notifier-alerts"].principal == "sns.amazonaws.com" && aws_lambda_permission.sns["notifier-alerts"].source_arn == var.sns_subscriptions["notifier-alerts"].topic_arn
    error_message = "SNS may invoke only from the subscribed topic."
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["api-warm"].schedule_expression == "rate(5 minutes)" && aws_lambda_permission.schedule["api-warm"].principal == "events.amazonaws.com"
    error_message = "A schedule needs a rule, a target and a permission scoped to the rule."
  }
}

run "invalid_mapping_settings_are_rejected" {
  command = plan

  variables {
    event_source_mappings = {
      bad = {
        function          = "processor"
        source_type       = "s3"
        event_source_arn  = "arn:aws:s3:::bucket"
        starting_position = "AT_TIMESTAMP"
      }
    }
  }

  expect_failures = [var.event_source_mappings]
}

run "a_trigger_for_an_unknown_function_is_rejected" {
  command = plan

  variables {
    schedules = {
      nightly = { function = "nobody", schedule_expression = "cron(0 3 * * ? *)" }
    }
  }

  expect_failures = [var.schedules]
}

run "python_3_13_on_arm64_by_default" {
  command = plan

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.runtime == "python3.13" && f.architectures == tolist(["arm64"])])
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

run "a_runtime_that_is_not_python_is_refused" {
  command = plan

  variables {
    runtime = "nodejs22.x"
  }

  expect_failures = [var.runtime]
}

run "python_3_12_is_accepted" {
  command = plan

  variables {
    runtime = "python3.12"
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.runtime == "python3.12"])
    error_message = "python3.12 (Amazon Linux 2023) must be accepted."
  }
}

# AWS provider 5.x checks runtime against its own list, which has no
# python3.14 (6.20 and later know it): these two runs plan only the roles, so
# they prove what this module's validation accepts on any provider version.
# The first shows that a targeted plan still validates runtime.
run "a_targeted_plan_still_validates_runtime" {
  command = plan

  plan_options {
    target = [aws_iam_role.this]
  }

  variables {
    runtime = "python3.11"
  }

  expect_failures = [var.runtime]
}

run "python_3_14_is_accepted" {
  command = plan

  plan_options {
    target = [aws_iam_role.this]
  }

  variables {
    runtime = "python3.14"
  }

  assert {
    condition     = length(aws_iam_role.this) == 4
    error_message = "python3.14 (Amazon Linux 2023) must pass the runtime validation."
  }
}

run "x86_64_is_an_option" {
  command = plan

  variables {
    architecture = "x86_64"
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.architectures == tolist(["x86_64"])])
    error_message = "architecture = x86_64 must apply to every function."
  }
}

run "an_unknown_architecture_is_refused" {
  command = plan

  variables {
    architecture = "x86"
  }

  expect_failures = [var.architecture]
}

run "reserved_concurrency_must_be_a_whole_number" {
  command = plan

  variables {
    functions = {
      api = { handler = "app.app", reserved_concurrency = 2.5 }
    }
    event_source_mappings = {}
    sns_subscriptions     = {}
    schedules             = {}
  }

  expect_failures = [var.functions]
}

run "no_snapstart_no_version_no_alias" {
  command = plan

  assert {
    condition     = length(aws_lambda_alias.this) == 0
    error_message = "Without snapstart no alias is created."
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : !f.publish && length(f.snap_start) == 0])
    error_message = "Without snapstart no version is published and SnapStart is off."
  }

  assert {
    condition     = alltrue([for k, q in output.qualifiers : q == null]) && output.invoke_arns["api"] == aws_lambda_function.this["api"].invoke_arn
    error_message = "Without snapstart callers invoke the unqualified function."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this["api-warm"].arn == aws_lambda_function.this["api"].arn && aws_lambda_permission.schedule["api-warm"].qualifier == null
    error_message = "Without snapstart the schedule targets the unqualified function."
  }
}

run "snapstart_publishes_and_aliases_the_function" {
  command = plan

  variables {
    functions = {
      api       = { handler = "app.app", snapstart = true }
      processor = { handler = "app.processor" }
    }
    event_source_mappings = {
      processor-queue = {
        function         = "processor"
        source_type      = "sqs"
        event_source_arn = "arn:aws:sqs:us-east-1:123456789012:events-test-standard"
      }
    }
    sns_subscriptions = {}
    schedules = {
      api-warm = { function = "api", schedule_expression = "rate(5 minutes)" }
    }
  }

  assert {
    condition     = aws_lambda_function.this["api"].publish && aws_lambda_function.this["api"].snap_start[0].apply_on == "PublishedVersions"
    error_message = "A SnapStart function publishes a version on every change, with SnapStart on published versions."
  }

  assert {
    condition     = aws_lambda_alias.this["api"].name == "live" && aws_lambda_alias.this["api"].function_name == "events-test-api" && aws_lambda_alias.this["api"].function_version == aws_lambda_function.this["api"].version
    error_message = "The alias \"live\" must point at the version just published."
  }

  assert {
    condition     = !aws_lambda_function.this["processor"].publish && length(aws_lambda_function.this["processor"].snap_start) == 0 && keys(aws_lambda_alias.this) == ["api"]
    error_message = "Only the SnapStart function publishes and gets an alias."
  }

  assert {
    condition     = output.invoke_arns["api"] == aws_lambda_alias.this["api"].invoke_arn && output.qualifiers["api"] == "live" && output.qualifiers["processor"] == null
    error_message = "Callers invoke the alias of a SnapStart function, the unqualified function otherwise."
  }

  assert {
    condition     = output.snapstart["api"].apply_on == "PublishedVersions" && output.snapstart["api"].alias_arn == aws_lambda_alias.this["api"].arn && output.snapstart["processor"].apply_on == null
    error_message = "The snapstart output describes each function's SnapStart."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this["api-warm"].arn == aws_lambda_alias.this["api"].arn && aws_lambda_permission.schedule["api-warm"].qualifier == "live"
    error_message = "Triggers of a SnapStart function invoke its alias, with the permission on the alias."
  }
}

run "snapstart_is_refused_where_lambda_does_not_offer_it" {
  command = plan

  override_data {
    target = data.aws_region.current
    values = { id = "ap-east-2", name = "ap-east-2" }
  }

  variables {
    functions             = { api = { handler = "app.app", snapstart = true } }
    event_source_mappings = {}
    sns_subscriptions     = {}
    schedules             = {}
  }

  expect_failures = [aws_lambda_function.this]
}

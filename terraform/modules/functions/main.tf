data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # `id` is the region name on provider 5.x and 6.x (`name` is deprecated in 6.x).
  region = data.aws_region.current.id

  function_names = { for k in keys(var.functions) : k => "${var.name}-${k}" }

  # CamelCase of a mapping key for IAM statement ids ("publisher_stream" -> "PublisherStream").
  sid_suffix = {
    for k in keys(var.event_source_mappings) :
    k => join("", [for w in split("-", replace(k, "_", "-")) : title(w)])
  }
}

################################################################################
# Runtimes (runtimes.json is the one list of the Python runtimes Lambda lets
# you create, and of where SnapStart works)
################################################################################

locals {
  runtimes = jsondecode(file("${path.module}/runtimes.json"))

  python_runtimes    = [for r in local.runtimes.python : r.identifier]
  snapstart_runtimes = [for r in local.runtimes.python : r.identifier if r.snapstart]
}

################################################################################
# IAM: one role per function
################################################################################

locals {
  source_read_actions = {
    sqs = [
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    dynamodb = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
      "dynamodb:ListStreams",
    ]
    kinesis = [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
      # No kinesis:SubscribeToShard: it acts on an enhanced fan-out consumer, which the mappings do not use.
    ]
  }

  # What each function's triggers and failure paths need, derived from the inputs.
  trigger_statements = {
    for fk in keys(var.functions) : fk => concat(
      [
        for mk, m in var.event_source_mappings : {
          sid       = "ReadSource${local.sid_suffix[mk]}"
          actions   = local.source_read_actions[m.source_type]
          resources = [m.event_source_arn]
        } if m.function == fk
      ],
      [
        for mk, m in var.event_source_mappings : {
          sid       = "OnFailure${local.sid_suffix[mk]}"
          actions   = ["sqs:SendMessage"]
          resources = [m.on_failure_destination_arn]
        } if m.function == fk && m.source_type != "sqs" && m.on_failure_destination_arn != null
      ],
      [{
        sid       = "SendToDeadLetterQueue"
        actions   = ["sqs:SendMessage"]
        resources = [var.dead_letter_queue_arn]
      }],
    )
  }

  # What every function needs to run, in place of the AWS managed
  # AWSLambdaVPCAccessExecutionRole and AWSXRayDaemonWriteAccess (whose log
  # permissions apply to every log group): the network permissions Lambda checks
  # when a function is created or updated with a VPC config, and its own log
  # group only. Lambda developer guide, "Giving Lambda functions access to
  # resources in an Amazon VPC", lists them: "ec2:CreateNetworkInterface",
  # "ec2:DescribeNetworkInterfaces - This action only works if it's allowed on
  # all resources ("Resource": "*")", "ec2:DescribeSubnets",
  # "ec2:DeleteNetworkInterface - If you don't specify a resource ID for
  # DeleteNetworkInterface in the execution role, your function may not be able
  # to access the VPC. Either specify a unique resource ID, or include all
  # resource IDs", "ec2:AssignPrivateIpAddresses",
  # "ec2:UnassignPrivateIpAddresses". Without them CreateFunction and
  # UpdateFunctionConfiguration fail (InvalidParameterValueException, "The
  # provided execution role does not have permissions to call
  # <Action> on EC2"). Lambda's check carries no condition context, so no
  # statement here has a Condition (an ec2:Subnet condition never matches it).
  eni_arn_prefix = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"
  subnet_arns    = [for id in var.subnet_ids : "${local.eni_arn_prefix}:subnet/${id}"]

  execution_statements = {
    for fk in keys(var.functions) : fk => concat(
      [
        {
          # Neither action takes a resource type: "*" is the only resource they accept.
          sid        = "DescribeNetworkInterfacesAndSubnets"
          actions    = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
          resources  = ["*"]
          conditions = []
        },
        {
          # Lambda creates the function's interfaces in these subnets, with these
          # groups, and nowhere else (each resource the call names is in the list).
          sid        = "CreateNetworkInterfacesInOwnSubnets"
          actions    = ["ec2:CreateNetworkInterface"]
          resources  = concat(["${local.eni_arn_prefix}:network-interface/*"], local.subnet_arns, [for id in var.security_group_ids : "${local.eni_arn_prefix}:security-group/${id}"])
          conditions = []
        },
        {
          # Every interface of this account and region ("include all resource
          # IDs"): Lambda checks these with no subnet to condition on.
          sid        = "ManageNetworkInterfaces"
          actions    = ["ec2:AssignPrivateIpAddresses", "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
          resources  = ["${local.eni_arn_prefix}:network-interface/*"]
          conditions = []
        },
        {
          # The log group exists before the function (below), so no logs:CreateLogGroup:
          # Lambda cannot re-create it unencrypted and without a retention.
          sid        = "WriteOwnLogs"
          actions    = ["logs:CreateLogStream", "logs:PutLogEvents"]
          resources  = ["${aws_cloudwatch_log_group.this[fk].arn}:*"]
          conditions = []
        },
      ],
      var.tracing_mode == "Active" ? [{
        # Neither action takes a resource type: "*" is the only resource they accept.
        sid        = "WriteTraces"
        actions    = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        resources  = ["*"]
        conditions = []
      }] : [],
    )
  }

  policy_statements = {
    for fk, f in var.functions : fk => concat(
      local.execution_statements[fk],
      f.policy_statements,
      [for s in local.trigger_statements[fk] : merge(s, { conditions = [] })],
    )
  }

  policies = {
    for fk, statements in local.policy_statements : fk => jsonencode({
      Version = "2012-10-17"
      Statement = [
        for s in statements : merge(
          {
            Sid      = s.sid
            Effect   = "Allow"
            Action   = s.actions
            Resource = s.resources
          },
          length(s.conditions) == 0 ? {} : {
            Condition = {
              for test in distinct([for c in s.conditions : c.test]) : test => {
                for c in s.conditions : c.variable => c.values if c.test == test
              }
            }
          },
        )
      ]
    })
  }
}

resource "aws_iam_role" "this" {
  for_each = var.functions

  name                 = local.function_names[each.key]
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = var.functions

  name   = "least-privilege"
  role   = aws_iam_role.this[each.key].id
  policy = local.policies[each.key]
}

################################################################################
# Log groups (created first so Lambda does not create an unencrypted,
# never-expiring one)
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is each environment's choice (log_retention_in_days): the module default and prod keep 365 days; local, dev and staging keep 7, 30 and 90 to limit cost
  for_each = var.functions

  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

################################################################################
# Functions
################################################################################

resource "aws_lambda_function" "this" {
  for_each = var.functions

  function_name    = local.function_names[each.key]
  description      = "${var.name} ${each.key} (${each.value.handler})"
  role             = aws_iam_role.this[each.key].arn
  handler          = each.value.handler
  runtime          = var.runtime
  architectures    = [var.architecture]
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  memory_size      = each.value.memory_size
  timeout          = each.value.timeout
  kms_key_arn      = var.kms_key_arn

  # null (the default) leaves code signing off: see the variable. With the argument wired, checkov's
  # CKV_AWS_272 passes, as it should: code signing is one input away.
  code_signing_config_arn = var.code_signing_config_arn

  reserved_concurrent_executions = each.value.reserved_concurrency

  # SnapStart snapshots published versions only: publish one on every change.
  publish = each.value.snapstart

  dynamic "snap_start" {
    for_each = each.value.snapstart ? ["PublishedVersions"] : []

    content {
      apply_on = snap_start.value
    }
  }

  environment {
    variables = merge(var.common_environment, each.value.environment)
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_config_enabled ? [var.dead_letter_queue_arn] : []

    content {
      target_arn = dead_letter_config.value
    }
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]

  lifecycle {
    precondition {
      condition     = !each.value.snapstart || !contains(local.runtimes.snapstart_unsupported_regions, local.region)
      error_message = "SnapStart is not offered in ${local.region} (runtimes.json: ${join(", ", local.runtimes.snapstart_unsupported_regions)}); set snapstart = false for ${each.key}."
    }
  }
}

################################################################################
# Alias of each SnapStart function (what API Gateway and triggers invoke)
################################################################################

locals {
  # SnapStart functions are invoked through this alias of their latest
  # published version: $LATEST never runs from a snapshot.
  alias_name = "live"
  snapstart  = { for k, f in var.functions : k => f if f.snapstart }

  # What triggers and callers invoke: the alias of a SnapStart function, the
  # unqualified function otherwise.
  target_arns = {
    for k, f in var.functions : k => f.snapstart ? aws_lambda_alias.this[k].arn : aws_lambda_function.this[k].arn
  }
  qualifiers = { for k, f in var.functions : k => f.snapstart ? local.alias_name : null }
}

resource "aws_lambda_alias" "this" {
  for_each = local.snapstart

  name             = local.alias_name
  description      = "Latest published version of ${local.function_names[each.key]}, restored from its SnapStart snapshot"
  function_name    = aws_lambda_function.this[each.key].function_name
  function_version = aws_lambda_function.this[each.key].version
}

################################################################################
# Poll-based triggers (SQS, DynamoDB stream, Kinesis)
################################################################################

resource "aws_lambda_event_source_mapping" "this" {
  for_each = var.event_source_mappings

  function_name                      = local.target_arns[each.value.function]
  event_source_arn                   = each.value.event_source_arn
  batch_size                         = each.value.batch_size
  maximum_batching_window_in_seconds = each.value.maximum_batching_window_in_seconds
  function_response_types            = each.value.report_batch_item_failures ? ["ReportBatchItemFailures"] : null

  starting_position              = each.value.source_type == "sqs" ? null : each.value.starting_position
  bisect_batch_on_function_error = each.value.source_type == "sqs" ? null : each.value.bisect_batch_on_function_error
  maximum_retry_attempts         = each.value.source_type == "sqs" ? null : each.value.maximum_retry_attempts
  maximum_record_age_in_seconds  = each.value.source_type == "sqs" ? null : each.value.maximum_record_age_in_seconds
  parallelization_factor         = each.value.source_type == "sqs" ? null : each.value.parallelization_factor

  dynamic "destination_config" {
    for_each = each.value.source_type != "sqs" && each.value.on_failure_destination_arn != null ? [each.value.on_failure_destination_arn] : []

    content {
      on_failure {
        destination_arn = destination_config.value
      }
    }
  }

  dynamic "scaling_config" {
    for_each = each.value.source_type == "sqs" && each.value.maximum_concurrency != null ? [each.value.maximum_concurrency] : []

    content {
      maximum_concurrency = scaling_config.value
    }
  }

  # Records that match no pattern are dropped before an invocation (and not billed as one).
  dynamic "filter_criteria" {
    for_each = length(each.value.filter_patterns) > 0 ? [each.value.filter_patterns] : []

    content {
      dynamic "filter" {
        for_each = filter_criteria.value

        content {
          pattern = filter.value
        }
      }
    }
  }

  # Lambda checks the role can read the source when the mapping is created.
  depends_on = [aws_iam_role_policy.this]
}

################################################################################
# SNS push triggers
################################################################################

resource "aws_lambda_permission" "sns" {
  for_each = var.sns_subscriptions

  statement_id  = "AllowSns-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.value.function].function_name
  qualifier     = local.qualifiers[each.value.function]
  principal     = "sns.amazonaws.com"
  source_arn    = each.value.topic_arn
}

resource "aws_sns_topic_subscription" "this" {
  for_each = var.sns_subscriptions

  topic_arn           = each.value.topic_arn
  protocol            = "lambda"
  endpoint            = local.target_arns[each.value.function]
  filter_policy       = each.value.filter_policy
  filter_policy_scope = each.value.filter_policy == null ? null : each.value.filter_policy_scope

  depends_on = [aws_lambda_permission.sns]
}

################################################################################
# Schedules (EventBridge)
################################################################################

resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.schedules

  name                = "${var.name}-${each.key}"
  description         = each.value.description
  schedule_expression = each.value.schedule_expression
  state               = "ENABLED"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = var.schedules

  rule      = aws_cloudwatch_event_rule.this[each.key].name
  target_id = "lambda"
  arn       = local.target_arns[each.value.function]
}

resource "aws_lambda_permission" "schedule" {
  for_each = var.schedules

  statement_id  = "AllowEventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[each.value.function].function_name
  qualifier     = local.qualifiers[each.value.function]
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this[each.key].arn
}

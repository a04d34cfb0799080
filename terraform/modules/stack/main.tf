data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  name = "${var.name_prefix}-${var.environment}"

  tags = merge(var.tags, {
    Service     = var.name_prefix
    Environment = var.environment
    ManagedBy   = "terraform"
  })

  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # `id` is the region name on provider 5.x and 6.x (`name` is deprecated in 6.x).
  region = data.aws_region.current.id

  # The one list of Python runtimes (and of SnapStart support), kept by the
  # functions module.
  runtimes           = jsondecode(file("${path.module}/../functions/runtimes.json"))
  python_runtimes    = [for r in local.runtimes.python : r.identifier]
  snapstart_runtimes = [for r in local.runtimes.python : r.identifier if r.snapstart]
}

################################################################################
# Function sizes: the defaults that `functions` overrides (the one place to
# revise them after measuring: `make bench`, `make cost`)
################################################################################

locals {
  function_defaults = {
    # Cold starts are CPU-bound (imports, SDK clients), and Lambda gives CPU in
    # proportion to memory (one full vCPU at 1,769 MB): 1024 MB shortens the
    # api's cold start. 10 s stays well under API Gateway's 29 s integration
    # timeout, so a slow request ends in the function's own error, not a 504.
    api = { handler = "app.app", memory_size = 1024, timeout = 10 }
    # Publishes every new event to both topics and the stream. It stops before
    # a call whose worst case might not finish: 27 s with the SDK settings of
    # chalicelib/aws.py (3 attempts x (2 s connect + 5 s read) + backoff), so
    # 60 s leaves room for at least two such calls. 512 MB: more CPU for the
    # serialisation and TLS of a batch of up to stream_batch_size records.
    publisher = { handler = "app.publisher", memory_size = 512, timeout = 60 }
    # One conditional UpdateItem per message, up to queue_batch_size a batch.
    # The standard queue's visibility timeout is visibility_timeout_multiplier
    # times this timeout.
    processor = { handler = "app.processor", memory_size = 256, timeout = 30 }
    # Catch-ups read and write more than one event (a gap is sequenced from the
    # table, several events per transaction). The FIFO queue's visibility
    # timeout is visibility_timeout_multiplier times this timeout.
    sequencer = { handler = "app.sequencer", memory_size = 256, timeout = 60 }
    # Catch-ups like the sequencer's: earlier uncounted events are read from the
    # table and counted in chunks.
    analytics = { handler = "app.analytics", memory_size = 256, timeout = 60 }
    # One conditional UpdateItem (notified_at) per alert.
    notifier = { handler = "app.notifier", memory_size = 256, timeout = 30 }
    # Works within its time budget (it checks that a call's worst case still
    # fits before each repair) and checkpoints where it stopped; it runs every
    # 5 minutes, so 120 s repairs a backlog without overlapping the next run.
    reconciler = { handler = "app.reconciler", memory_size = 256, timeout = 120 }
  }

  # Effective settings: each function's defaults with its non-null overrides on top.
  functions = {
    for k, d in local.function_defaults : k => merge(
      d,
      { reserved_concurrency = null },
      { for setting, value in try(var.functions[k], {}) : setting => value if value != null },
    )
  }
}

################################################################################
# Encryption key (one customer managed key for every store and log group)
################################################################################

locals {
  # What the services may encrypt with the key on this stack's behalf, named
  # from the names the modules give rather than from their resources: those
  # are encrypted with this key, so referring to them would be a cycle. Each
  # module that creates an encrypted log group outputs its name (or, where the
  # name holds an id known only after apply, a pattern) from its inputs alone
  # (encrypted_log_group_names), and the key admits exactly what they list. A
  # stack test checks that every log group the modules create is covered.
  logs_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group"
  key_log_group_names = concat(
    module.functions.encrypted_log_group_names,
    module.network.encrypted_log_group_names,
    module.api.encrypted_log_group_names,
    # The one output by its instance: a splat would refer to every output of
    # the module, the log group's own among them (a cycle).
    local.stack_waf ? module.waf[0].encrypted_log_group_names : [],
  )
  key_log_group_arns = [for n in local.key_log_group_names : "${local.logs_arn}:${n}"]
  # The work topics deliver to the encrypted work queues.
  key_topic_arns = [
    for suffix in ["standard", "fifo.fifo"] : "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.name}-${suffix}"
  ]
  # The alarms publish to the encrypted alarm topic.
  key_alarm_arns = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name}-*"]
}

resource "aws_kms_key" "this" {
  description             = "${local.name}: table, stream, topics, queues, logs, function environment"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_in_days

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The AWS default: the account administers the key through IAM.
        Sid       = "AccountAdministersKeyThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        # CloudWatch Logs names the log group in the encryption context of
        # every call it makes with the key. (No kms:DescribeKey: it takes no
        # encryption context, so this condition would never allow it.) CloudWatch
        # Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS":
        # "CloudWatch Logs now supports encryption context, using
        # kms:EncryptionContext:aws:logs:arn as the key and the ARN of the log
        # group as the value for that key." A log group left out is refused on
        # creation (AccessDeniedException, "The specified KMS key does not exist
        # or is not allowed to be used with Arn ...").
        Sid       = "CloudWatchLogsEncryptsThisStacksLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action = [
          "kms:Decrypt",
          "kms:Encrypt",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
        ]
        Resource = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = local.key_log_group_arns }
        }
      },
      {
        # SNS encrypts what this stack's topics deliver to the encrypted queues.
        Sid       = "ThisStacksTopicsDeliverEncrypted"
        Effect    = "Allow"
        Principal = { Service = "sns.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = local.key_topic_arns }
        }
      },
      {
        # CloudWatch publishes this stack's alarms to the encrypted alarm topic.
        Sid       = "ThisStacksAlarmsPublishEncrypted"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = local.key_alarm_arns }
        }
      },
    ]
  })

  tags = local.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

################################################################################
# Network
################################################################################

module "network" {
  source = "../network"

  name                  = local.name
  tags                  = local.tags
  vpc_cidr              = var.vpc_cidr
  az_count              = var.az_count
  availability_zones    = var.availability_zones
  flow_logs_enabled     = var.flow_logs_enabled
  log_retention_in_days = var.log_retention_in_days
  kms_key_arn           = aws_kms_key.this.arn

  role_permissions_boundary = var.role_permissions_boundary
  rule_descriptions_enabled = !contains(var.emulator_workarounds, "security_group_rule_descriptions")
}

################################################################################
# Data
################################################################################

module "data" {
  source = "../data"

  name                   = local.name
  tags                   = local.tags
  kms_key_arn            = aws_kms_key.this.arn
  billing_mode           = var.table_billing_mode
  deletion_protection    = var.table_deletion_protection
  point_in_time_recovery = var.table_point_in_time_recovery
}

################################################################################
# Messaging
################################################################################

module "messaging" {
  source = "../messaging"

  name                      = local.name
  tags                      = local.tags
  kms_key_arn               = aws_kms_key.this.arn
  message_retention_seconds = var.message_retention_seconds
  max_receive_count         = var.max_receive_count
  fifo_high_throughput      = var.fifo_high_throughput

  redrive_allow_policy_enabled = !contains(var.emulator_workarounds, "sqs_redrive_allow_policy")
  visibility_timeout_seconds = {
    standard = min(43200, var.visibility_timeout_multiplier * local.functions["processor"].timeout)
    fifo     = min(43200, var.visibility_timeout_multiplier * local.functions["sequencer"].timeout)
  }
}

################################################################################
# Streaming
################################################################################

module "streaming" {
  source = "../streaming"

  name             = local.name
  tags             = local.tags
  tags_enabled     = !contains(var.emulator_workarounds, "kinesis_stream_tags")
  stream_mode      = var.stream_mode
  shard_count      = var.stream_shard_count
  retention_period = var.stream_retention_period
  kms_key_id       = aws_kms_key.this.arn
}

################################################################################
# Functions: environment, permissions and triggers of each handler
################################################################################

locals {
  table_arn = module.data.table_arn
  topic_arns = [
    module.messaging.standard_topic_arn,
    module.messaging.fifo_topic_arn,
  ]

  # Every DLQ and failure queue, in a stable order, for the reconciler's report.
  dlq_urls = [for k in sort(keys(module.messaging.dead_letter_queues)) : module.messaging.dead_letter_queues[k].url]
  dlq_arns = [for k in sort(keys(module.messaging.dead_letter_queues)) : module.messaging.dead_letter_queues[k].arn]

  # Every function writes to or reads from something encrypted with the key,
  # so each may use it for data keys, but only through the services that
  # hold its data (kms:ViaService), never directly: DynamoDB (the table and
  # its stream), SQS (its dead-letter queue for asynchronous invocations and
  # its sources or failure queues), and Lambda itself, which decrypts the
  # function's environment; the publisher also publishes to the encrypted
  # topics and stream, analytics reads the stream.
  key_services = {
    api        = ["dynamodb", "lambda", "sqs"]
    publisher  = ["dynamodb", "kinesis", "lambda", "sns", "sqs"]
    processor  = ["dynamodb", "lambda", "sqs"]
    sequencer  = ["dynamodb", "lambda", "sqs"]
    analytics  = ["dynamodb", "kinesis", "lambda", "sqs"]
    notifier   = ["dynamodb", "lambda", "sqs"]
    reconciler = ["dynamodb", "lambda", "sqs"]
  }

  use_key = {
    for k, services in local.key_services : k => {
      sid       = "UseStackKeyThroughItsServices"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [aws_kms_key.this.arn]
      conditions = [{
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for s in services : "${s}.${local.region}.amazonaws.com"]
      }]
    }
  }

  # The log key's item (chalicelib/keys.py): the functions that log subjects hash them with it, and
  # whichever needs it first writes it. The condition keeps this to that one item of the table.
  logs_subjects = ["publisher", "processor", "sequencer", "analytics", "notifier"]
  log_key_item = {
    sid       = "LogKeyItem"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
    resources = [local.table_arn]
    conditions = [{
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = ["KEY#log"]
    }]
  }

  publish_to_topics = {
    sid       = "PublishToTopics"
    actions   = ["sns:Publish"]
    resources = local.topic_arns
  }

  # Each function's own environment and statements; function_wiring adds the shared ones.
  own_wiring = {
    api = {
      environment = { EVENTS_TABLE_NAME = module.data.table_name }
      policy_statements = [
        {
          sid = "EventsTable"
          # TransactWriteItems is authorised per item by these actions.
          actions   = ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
          resources = [local.table_arn]
        },
      ]
    }
    publisher = {
      environment = {
        EVENTS_TABLE_NAME  = module.data.table_name
        STANDARD_TOPIC_ARN = module.messaging.standard_topic_arn
        FIFO_TOPIC_ARN     = module.messaging.fifo_topic_arn
        EVENTS_STREAM_NAME = module.streaming.stream_name
      }
      policy_statements = [
        local.publish_to_topics,
        {
          sid       = "PutToStream"
          actions   = ["kinesis:PutRecord", "kinesis:PutRecords"]
          resources = [module.streaming.stream_arn]
        },
      ]
    }
    processor = {
      environment = {
        EVENTS_TABLE_NAME = module.data.table_name
        MAX_RECEIVE_COUNT = tostring(var.max_receive_count)
      }
      policy_statements = [
        {
          sid       = "EventsTable"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [local.table_arn]
        },
      ]
    }
    sequencer = {
      environment = {
        EVENTS_TABLE_NAME = module.data.table_name
        MAX_RECEIVE_COUNT = tostring(var.max_receive_count)
      }
      policy_statements = [
        {
          sid = "EventsTable"
          # TransactWriteItems is authorised per item by these actions.
          actions   = ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
          resources = [local.table_arn]
        },
      ]
    }
    analytics = {
      environment = { EVENTS_TABLE_NAME = module.data.table_name }
      policy_statements = [
        {
          sid       = "EventsTable"
          actions   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"]
          resources = [local.table_arn]
        },
      ]
    }
    notifier = {
      environment = { EVENTS_TABLE_NAME = module.data.table_name }
      policy_statements = [
        {
          sid       = "EventsTable"
          actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
          resources = [local.table_arn]
        },
      ]
    }
    reconciler = {
      environment = {
        EVENTS_TABLE_NAME       = module.data.table_name
        DLQ_URLS                = join(",", local.dlq_urls)
        RECONCILE_AFTER_SECONDS = tostring(var.reconcile_after_seconds)
      }
      policy_statements = [
        {
          sid       = "QueryPendingIndex"
          actions   = ["dynamodb:Query"]
          resources = [module.data.pending_index_arn]
        },
        {
          # Repairs each lane from the table (TransactWriteItems is authorised
          # per item by these actions) and keeps its checkpoint item.
          sid       = "RepairEvents"
          actions   = ["dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
          resources = [local.table_arn]
        },
        {
          sid       = "ReadDeadLetterQueueDepth"
          actions   = ["sqs:GetQueueAttributes"]
          resources = local.dlq_arns
        },
      ]
    }
  }

  function_wiring = {
    for k, wiring in local.own_wiring : k => merge(wiring, {
      policy_statements = concat(
        wiring.policy_statements,
        contains(local.logs_subjects, k) ? [local.log_key_item] : [],
        [local.use_key[k]],
      )
    })
  }

  # An SQS consumer with reserved concurrency gets a mapping that never polls
  # for more than it can run: a throttled receive still counts toward the
  # queue's maxReceiveCount. (maximum_concurrency: 2 to 1000.)
  sqs_maximum_concurrency = {
    for k in ["processor", "sequencer"] : k => (
      local.functions[k].reserved_concurrency == null ? null : min(1000, local.functions[k].reserved_concurrency)
    )
  }

  stream_mapping_defaults = {
    batch_size                         = var.stream_batch_size
    maximum_batching_window_in_seconds = var.stream_maximum_batching_window_in_seconds
    starting_position                  = var.stream_starting_position
    bisect_batch_on_function_error     = var.stream_bisect_batch_on_function_error
    maximum_retry_attempts             = var.stream_maximum_retry_attempts
    maximum_record_age_in_seconds      = var.stream_maximum_record_age_in_seconds
    parallelization_factor             = var.stream_parallelization_factor
    on_failure_destination_arn         = module.messaging.stream_failure_queue_arn
  }
}

locals {
  # The publisher's filter: event items no lane has marked yet, i.e. their INSERT.
  publisher_filter_pattern = jsonencode({
    dynamodb = {
      NewImage = {
        entity       = { S = ["event"] }
        sequence     = { N = [{ exists = false }] }
        processed_at = { S = [{ exists = false }] }
        notified_at  = { S = [{ exists = false }] }
      }
    }
  })
}

module "functions" {
  source = "../functions"

  name               = local.name
  tags               = local.tags
  zip_path           = var.lambda_zip_path
  runtime            = var.runtime
  architecture       = var.architecture
  subnet_ids         = module.network.private_subnet_ids
  security_group_ids = [module.network.lambda_security_group_id]
  kms_key_arn        = aws_kms_key.this.arn

  role_permissions_boundary = var.role_permissions_boundary
  code_signing_config_arn   = var.code_signing_config_arn

  log_retention_in_days      = var.log_retention_in_days
  dead_letter_queue_arn      = module.messaging.function_dlq_arn
  dead_letter_config_enabled = !contains(var.emulator_workarounds, "lambda_dead_letter_config")

  common_environment = {
    POWERTOOLS_SERVICE_NAME = local.powertools_service
    POWERTOOLS_LOG_LEVEL    = var.log_level
  }

  functions = {
    for k, f in local.functions : k => merge(f, local.function_wiring[k], {
      # Only the api function can use SnapStart: both REST APIs invoke its alias.
      snapstart = k == "api" && var.api_snapstart
    })
  }

  event_source_mappings = {
    publisher-table-stream = merge(local.stream_mapping_defaults, {
      function         = "publisher"
      source_type      = "dynamodb"
      event_source_arn = module.data.stream_arn
      # Each accepted event writes about 8 stream records (head, pointer, lane
      # items, status and sequence updates); only the event item's INSERT is
      # published. Filtered records are not billed as invocations. DynamoDB
      # mappings filter on the `dynamodb` key only (not eventName), so the
      # INSERT is told apart by what no lane has written yet.
      filter_patterns = [local.publisher_filter_pattern]
    })
    analytics-kinesis = merge(local.stream_mapping_defaults, {
      function         = "analytics"
      source_type      = "kinesis"
      event_source_arn = module.streaming.stream_arn
    })
    processor-standard-queue = {
      function            = "processor"
      source_type         = "sqs"
      event_source_arn    = module.messaging.standard_queue_arn
      batch_size          = var.queue_batch_size
      maximum_concurrency = local.sqs_maximum_concurrency["processor"]
    }
    sequencer-fifo-queue = {
      function            = "sequencer"
      source_type         = "sqs"
      event_source_arn    = module.messaging.fifo_queue_arn
      batch_size          = var.queue_batch_size
      maximum_concurrency = local.sqs_maximum_concurrency["sequencer"]
    }
  }

  sns_subscriptions = {
    notifier-alerts = {
      function      = "notifier"
      topic_arn     = module.messaging.standard_topic_arn
      filter_policy = jsonencode({ type = [{ prefix = "alert." }] })
    }
  }

  schedules = {
    reconciler = {
      function            = "reconciler"
      schedule_expression = var.reconcile_schedule_expression
      description         = "Repair the lanes of events stuck in pending and report DLQ depth"
    }
  }
}

################################################################################
# Who may call (auth_mode cognito): the user pool behind the APIs' authorizer
################################################################################

module "auth" {
  source = "../auth"
  count  = var.auth_mode == "cognito" ? 1 : 0

  name = local.name
  tags = local.tags
  # The scopes the contract's operations require, read from the contract by the api module.
  scopes = module.api.oauth_scopes
  # Unique within the region across accounts: the account id makes it so.
  domain_prefix = coalesce(var.cognito_domain_prefix, "${local.name}-${local.account_id}")
  # The pool holds every caller's credentials: protected wherever the table is.
  deletion_protection = var.table_deletion_protection
}

################################################################################
# API
################################################################################

module "api" {
  source = "../api"

  name                 = local.name
  tags                 = local.tags
  openapi_path         = var.openapi_path
  lambda_function_name = module.functions.function_names["api"]
  lambda_invoke_arn    = module.functions.invoke_arns["api"]
  lambda_qualifier     = module.functions.qualifiers["api"]

  auth_mode             = var.auth_mode
  cognito_user_pool_arn = one(module.auth[*].user_pool_arn)

  stage_name                    = var.stage_name
  logging_level                 = var.api_logging_level
  throttling_rate_limit         = var.api_throttling_rate_limit
  throttling_burst_limit        = var.api_throttling_burst_limit
  public_throttling_rate_limit  = var.api_public_rate_limit
  public_throttling_burst_limit = var.api_public_burst_limit
  quota_limit                   = var.api_quota_limit
  kms_key_arn                   = aws_kms_key.this.arn
  log_retention_in_days         = var.log_retention_in_days
  manage_account_settings       = var.manage_api_gateway_account
  role_permissions_boundary     = var.role_permissions_boundary

  # Known at plan time (an object), even when the ARN is not yet: the web ACL
  # given, else the stack's own, else none.
  web_acl = (
    var.web_acl_arn != null ? { arn = var.web_acl_arn } :
    var.waf_enabled ? { arn = module.waf[0].web_acl_arn } : null
  )
}

locals {
  stack_waf = var.waf_enabled && var.web_acl_arn == null
}

# The baseline web ACL, when no other is given.
module "waf" {
  source = "../waf"
  count  = local.stack_waf ? 1 : 0

  name                  = local.name
  tags                  = local.tags
  rate_limit            = var.waf_rate_limit
  kms_key_arn           = aws_kms_key.this.arn
  log_retention_in_days = var.log_retention_in_days
}

################################################################################
# Observability
################################################################################

locals {
  # The functions' Powertools service: a dimension of every metric they emit.
  powertools_service = "events"
}

module "observability" {
  source = "../observability"

  name         = local.name
  tags         = local.tags
  kms_key_arn  = aws_kms_key.this.arn
  alarm_emails = var.alarm_emails

  dead_letter_queue_names = { for k, q in module.messaging.dead_letter_queues : k => q.name }

  apis = {
    for k, api_name in module.api.rest_api_names : k => { name = api_name, stage = module.api.stage_name }
  }

  function_names = module.functions.function_names

  stream_consumer_function_names = {
    publisher = module.functions.function_names["publisher"]
    analytics = module.functions.function_names["analytics"]
  }

  kinesis_stream_names = { events = module.streaming.stream_name }

  # The reconciler's count of what it could not repair (chalicelib/reconcile.py, one EMF datum a
  # run): any at all is an entry or bucket left behind until someone looks.
  application_failure_metrics = {
    reconcile-failures = {
      description = "The reconciler could not repair an entry or read a bucket (logged with its bucket and event id); it retries each run."
      namespace   = "Events"
      metric      = "ReconcileFailures"
      dimensions  = { table = module.data.table_name, service = local.powertools_service }
    }
  }
}

data "aws_caller_identity" "current" {}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  alarm_actions = [aws_sns_topic.alarms.arn]
}

################################################################################
# Alarm topic
################################################################################

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_policy" "alarms" {
  arn = aws_sns_topic.alarms.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowCloudWatchAlarmsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Alarms: one resource, one instance per alarm
################################################################################

# Every alarm has the same shape: one metric, one statistic over one period,
# above a threshold, notifying the alarm topic on alarm and on OK. Each key is
# the alarm's name after "<name>-", so a key names its alarm.
locals {
  alarm_groups = {
    # Dead-letter queues and failure queues: anything there needs a human.
    dlq_depth = {
      for k, queue in var.dead_letter_queue_names : "${k}-depth" => {
        description = "Messages are waiting in ${queue}: inspect and redrive."
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = queue }
        statistic   = "Maximum"
        threshold   = 0
      }
    }
    # APIs: 5XX rate (5XXError is 0 or 1 per request, so its average is the rate).
    api_5xx = {
      for k, api in var.apis : "${k}-api-5xx" => {
        description = "More than ${var.api_5xx_rate_threshold * 100}% of ${api.name} requests failed with a 5XX."
        namespace   = "AWS/ApiGateway"
        metric      = "5XXError"
        dimensions  = { ApiName = api.name, Stage = api.stage }
        statistic   = "Average"
        threshold   = var.api_5xx_rate_threshold
      }
    }
    # Functions: errors and throttles.
    function = merge([
      for k, fn in var.function_names : {
        for metric in ["Errors", "Throttles"] : "${k}-${lower(metric)}" => {
          description = "${fn} reported ${metric}."
          namespace   = "AWS/Lambda"
          metric      = metric
          dimensions  = { FunctionName = fn }
          statistic   = "Sum"
          threshold   = 0
        }
      }
    ]...)
    # Streams: processing lag, seen from the consumer...
    function_iterator_age = {
      for k, fn in var.stream_consumer_function_names : "${k}-iterator-age" => {
        description = "${fn} is more than ${var.iterator_age_threshold_ms} ms behind its stream."
        namespace   = "AWS/Lambda"
        metric      = "IteratorAge"
        dimensions  = { FunctionName = fn }
        statistic   = "Maximum"
        threshold   = var.iterator_age_threshold_ms
      }
    }
    # ... and from the stream.
    kinesis_iterator_age = {
      for k, stream in var.kinesis_stream_names : "${k}-kinesis-iterator-age" => {
        description = "Readers of ${stream} are more than ${var.iterator_age_threshold_ms} ms behind."
        namespace   = "AWS/Kinesis"
        metric      = "GetRecords.IteratorAgeMilliseconds"
        dimensions  = { StreamName = stream }
        statistic   = "Maximum"
        threshold   = var.iterator_age_threshold_ms
      }
    }
    # The application's own failure counters: any count needs a human.
    application_failures = {
      for k, counter in var.application_failure_metrics : k => {
        description = counter.description
        namespace   = counter.namespace
        metric      = counter.metric
        dimensions  = counter.dimensions
        statistic   = "Sum"
        threshold   = 0
      }
    }
  }

  alarms = merge(values(local.alarm_groups)...)
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.period_seconds
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  tags = var.tags

  lifecycle {
    # Keys are alarm names: two alarms of one name would be one alarm in AWS and
    # one key here (merge keeps the last), so one of them would be lost silently.
    precondition {
      condition     = length(local.alarms) == sum([for group in values(local.alarm_groups) : length(group)])
      error_message = "Two alarms would have the same name (<name>-<key>): rename a key of the inputs (e.g. \"x-kinesis\" of stream_consumer_function_names and \"x\" of kinesis_stream_names)."
    }
  }
}

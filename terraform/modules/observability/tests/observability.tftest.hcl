# Plan-only tests of the observability module with a mocked AWS provider.

mock_provider "aws" {
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  name        = "events-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"

  dead_letter_queue_names = {
    standard_dlq    = "events-test-standard-dlq"
    fifo_dlq        = "events-test-fifo-dlq.fifo"
    stream_failures = "events-test-stream-failures"
  }
  apis = {
    edge     = { name = "events-test-edge", stage = "api" }
    regional = { name = "events-test-regional", stage = "api" }
  }
  function_names                 = { api = "events-test-api", publisher = "events-test-publisher" }
  stream_consumer_function_names = { publisher = "events-test-publisher" }
  kinesis_stream_names           = { events = "events-test-events" }
  application_failure_metrics = {
    reconcile-failures = {
      description = "The reconciler skipped entries or buckets it could not repair."
      namespace   = "Events"
      metric      = "ReconcileFailures"
      dimensions  = { table = "events-test-events", service = "events" }
    }
  }
}

run "an_alarm_for_everything_watched" {
  command = plan

  assert {
    condition = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset([
      "standard_dlq-depth", "fifo_dlq-depth", "stream_failures-depth",
      "edge-api-5xx", "regional-api-5xx",
      "api-errors", "api-throttles", "publisher-errors", "publisher-throttles",
      "publisher-iterator-age", "events-kinesis-iterator-age", "reconcile-failures",
    ])
    error_message = "One alarm per DLQ, per API, per function and metric (errors, throttles), per stream consumer and per stream, each keyed by its name after \"<name>-\"."
  }

  assert {
    condition     = alltrue([for k, a in aws_cloudwatch_metric_alarm.this : a.alarm_name == "events-test-${k}"])
    error_message = "Each alarm's key is its name after \"<name>-\"."
  }

  assert {
    condition = alltrue([
      for k in ["standard_dlq-depth", "fifo_dlq-depth", "stream_failures-depth"] :
      aws_cloudwatch_metric_alarm.this[k].threshold == 0 && aws_cloudwatch_metric_alarm.this[k].metric_name == "ApproximateNumberOfMessagesVisible"
    ]) && aws_cloudwatch_metric_alarm.this["fifo_dlq-depth"].dimensions == tomap({ QueueName = "events-test-fifo-dlq.fifo" })
    error_message = "Every DLQ alarms as soon as it holds a message."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["edge-api-5xx"].dimensions == tomap({ ApiName = "events-test-edge", Stage = "api" }) && aws_cloudwatch_metric_alarm.this["regional-api-5xx"].statistic == "Average" && aws_cloudwatch_metric_alarm.this["regional-api-5xx"].threshold == 0.05
    error_message = "Each API alarms on its 5XX rate."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["api-throttles"].metric_name == "Throttles" && aws_cloudwatch_metric_alarm.this["publisher-errors"].dimensions == tomap({ FunctionName = "events-test-publisher" }) && aws_cloudwatch_metric_alarm.this["publisher-errors"].statistic == "Sum"
    error_message = "Each function alarms on errors and throttles."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["events-kinesis-iterator-age"].metric_name == "GetRecords.IteratorAgeMilliseconds" && aws_cloudwatch_metric_alarm.this["publisher-iterator-age"].metric_name == "IteratorAge" && aws_cloudwatch_metric_alarm.this["publisher-iterator-age"].threshold == 60000
    error_message = "Stream lag alarms on the stream and on its consumers."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["reconcile-failures"].namespace == "Events" && aws_cloudwatch_metric_alarm.this["reconcile-failures"].metric_name == "ReconcileFailures" && aws_cloudwatch_metric_alarm.this["reconcile-failures"].dimensions == tomap({ table = "events-test-events", service = "events" }) && aws_cloudwatch_metric_alarm.this["reconcile-failures"].statistic == "Sum" && aws_cloudwatch_metric_alarm.this["reconcile-failures"].threshold == 0
    error_message = "An application failure counter alarms on any count, on the metric and dimensions it is emitted with."
  }

  assert {
    condition = alltrue([
      for a in values(aws_cloudwatch_metric_alarm.this) :
      a.actions_enabled && a.alarm_actions == toset([aws_sns_topic.alarms.arn]) && a.ok_actions == toset([aws_sns_topic.alarms.arn]) && a.comparison_operator == "GreaterThanThreshold" && a.period == 300
    ])
    error_message = "Every alarm must notify the alarm topic, on alarm and on OK."
  }

  assert {
    condition     = jsonencode(output.alarm_names) == jsonencode([for k in sort(keys(aws_cloudwatch_metric_alarm.this)) : "events-test-${k}"]) && jsonencode(keys(output.alarms)) == jsonencode(sort(keys(aws_cloudwatch_metric_alarm.this)))
    error_message = "alarm_names lists every alarm, alarms keys them as the resource does."
  }
}

run "nothing_watched_no_alarm" {
  command = plan

  variables {
    dead_letter_queue_names        = {}
    apis                           = {}
    function_names                 = {}
    stream_consumer_function_names = {}
    kinesis_stream_names           = {}
    application_failure_metrics    = {}
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 0 && length(output.alarm_names) == 0
    error_message = "No input, no alarm."
  }
}

run "two_alarms_of_one_name_are_refused" {
  command = plan

  variables {
    stream_consumer_function_names = { "events-kinesis" = "events-test-publisher" }
    kinesis_stream_names           = { events = "events-test-events" }
  }

  expect_failures = [aws_cloudwatch_metric_alarm.this]
}

run "alarm_topic_is_encrypted_and_open_to_cloudwatch_only" {
  command = plan

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn
    error_message = "The alarm topic must be encrypted."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_sns_topic_policy.alarms.policy).Statement :
      s.Effect == "Allow" && s.Principal == { Service = "cloudwatch.amazonaws.com" } && try(s.Condition.StringEquals["aws:SourceAccount"], "") == "123456789012"
    ])
    error_message = "CloudWatch of this account may publish alarms."
  }
}

run "threshold_is_validated" {
  command = plan

  variables {
    api_5xx_rate_threshold = 5
  }

  expect_failures = [var.api_5xx_rate_threshold]
}

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
}

run "an_alarm_for_everything_watched" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq_depth) == 3 && alltrue([for k, a in aws_cloudwatch_metric_alarm.dlq_depth : a.threshold == 0 && a.comparison_operator == "GreaterThanThreshold"])
    error_message = "Every DLQ alarms as soon as it holds a message."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.api_5xx["edge"].dimensions == tomap({ ApiName = "events-test-edge", Stage = "api" }) && aws_cloudwatch_metric_alarm.api_5xx["regional"].statistic == "Average"
    error_message = "Each API alarms on its 5XX rate."
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.function)) == toset(["api-errors", "api-throttles", "publisher-errors", "publisher-throttles"])
    error_message = "Each function alarms on errors and throttles."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.kinesis_iterator_age["events"].metric_name == "GetRecords.IteratorAgeMilliseconds" && length(aws_cloudwatch_metric_alarm.function_iterator_age) == 1
    error_message = "Stream lag alarms on the stream and on its consumers."
  }

  assert {
    condition = alltrue([
      for a in concat(values(aws_cloudwatch_metric_alarm.dlq_depth), values(aws_cloudwatch_metric_alarm.api_5xx), values(aws_cloudwatch_metric_alarm.function)) :
      a.actions_enabled && a.alarm_actions == toset([aws_sns_topic.alarms.arn])
    ])
    error_message = "Every alarm must notify the alarm topic."
  }
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

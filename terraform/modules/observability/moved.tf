# The five alarm resources of the previous layout (dlq_depth, api_5xx, function,
# function_iterator_age, kinesis_iterator_age) are now instances of
# aws_cloudwatch_metric_alarm.this. A moved block names instances, not a
# pattern, so these list the keys the stack module passes (the same in every
# environment): state written by the previous layout keeps its alarms, which
# are moved, not destroyed and created again. A moved block whose old address
# is not in the state does nothing, so other callers are not affected; one with
# other keys adds its own moved blocks (module.<call>.aws_cloudwatch_metric_alarm...).
# tests/terraform/test_observability_move.py applies the previous layout to moto
# and requires that a plan of this one only moves alarms. Keep these blocks until
# every environment has applied this layout once.

# dlq_depth

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["standard_dlq"]
  to   = aws_cloudwatch_metric_alarm.this["standard_dlq-depth"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["fifo_dlq"]
  to   = aws_cloudwatch_metric_alarm.this["fifo_dlq-depth"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["stream_failures"]
  to   = aws_cloudwatch_metric_alarm.this["stream_failures-depth"]
}

moved {
  from = aws_cloudwatch_metric_alarm.dlq_depth["function_dlq"]
  to   = aws_cloudwatch_metric_alarm.this["function_dlq-depth"]
}

# api_5xx

moved {
  from = aws_cloudwatch_metric_alarm.api_5xx["edge"]
  to   = aws_cloudwatch_metric_alarm.this["edge-api-5xx"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_5xx["regional"]
  to   = aws_cloudwatch_metric_alarm.this["regional-api-5xx"]
}

# function

moved {
  from = aws_cloudwatch_metric_alarm.function["api-errors"]
  to   = aws_cloudwatch_metric_alarm.this["api-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["api-throttles"]
  to   = aws_cloudwatch_metric_alarm.this["api-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["publisher-errors"]
  to   = aws_cloudwatch_metric_alarm.this["publisher-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["publisher-throttles"]
  to   = aws_cloudwatch_metric_alarm.this["publisher-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["processor-errors"]
  to   = aws_cloudwatch_metric_alarm.this["processor-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["processor-throttles"]
  to   = aws_cloudwatch_metric_alarm.this["processor-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["sequencer-errors"]
  to   = aws_cloudwatch_metric_alarm.this["sequencer-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["sequencer-throttles"]
  to   = aws_cloudwatch_metric_alarm.this["sequencer-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["analytics-errors"]
  to   = aws_cloudwatch_metric_alarm.this["analytics-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["analytics-throttles"]
  to   = aws_cloudwatch_metric_alarm.this["analytics-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["notifier-errors"]
  to   = aws_cloudwatch_metric_alarm.this["notifier-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["notifier-throttles"]
  to   = aws_cloudwatch_metric_alarm.this["notifier-throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["reconciler-errors"]
  to   = aws_cloudwatch_metric_alarm.this["reconciler-errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function["reconciler-throttles"]
  to   = aws_cloudwatch_metric_alarm.this["reconciler-throttles"]
}

# function_iterator_age

moved {
  from = aws_cloudwatch_metric_alarm.function_iterator_age["publisher"]
  to   = aws_cloudwatch_metric_alarm.this["publisher-iterator-age"]
}

moved {
  from = aws_cloudwatch_metric_alarm.function_iterator_age["analytics"]
  to   = aws_cloudwatch_metric_alarm.this["analytics-iterator-age"]
}

# kinesis_iterator_age

moved {
  from = aws_cloudwatch_metric_alarm.kinesis_iterator_age["events"]
  to   = aws_cloudwatch_metric_alarm.this["events-kinesis-iterator-age"]
}

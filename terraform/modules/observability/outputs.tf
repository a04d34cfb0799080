################################################################################
# Alarm topic
################################################################################

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm publishes to."
  value       = aws_sns_topic.alarms.arn
}

################################################################################
# Alarms
################################################################################

output "alarm_names" {
  description = "Names of every alarm."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.api_5xx : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.function : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.function_iterator_age : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.kinesis_iterator_age : a.alarm_name],
  )
}

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

output "alarms" {
  description = "Every alarm, keyed by its name after \"<name>-\" (e.g. \"standard_dlq-depth\", \"api-errors\", \"edge-api-5xx\"): name and ARN."
  value = {
    for k, a in aws_cloudwatch_metric_alarm.this : k => { name = a.alarm_name, arn = a.arn }
  }
}

output "alarm_names" {
  description = "Names of every alarm, in the order of their keys."
  value       = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
}

# Local emulator (moto or LocalStack on AWS_ENDPOINT_URL). Credentials test/test.
environment = "local"
region      = "us-east-1"

# The emulator's account, whichever it is (moto 123456789012, LocalStack 000000000000):
# only the local root may leave the provider's account check off.
allowed_account_ids = null

tags = {
  Owner = "platform"
}

log_level             = "DEBUG"
log_retention_in_days = 7

# What stock moto 5.2 cannot round-trip; left out so a second plan is empty.
# The project's local cloud keeps a function's dead-letter config, so that one is
# not listed; stock moto needs "lambda_dead_letter_config" too.
emulator_workarounds = [
  "kinesis_stream_tags",
  "sqs_redrive_allow_policy",
  "security_group_rule_descriptions",
]

# The local cloud begins as a new AWS account does: no API Gateway CloudWatch role in
# the region's account settings. Both stages log, and API Gateway developer guide, "Set
# up CloudWatch logging for REST APIs": until that role is set, creating or updating a
# stage with logging is refused (BadRequestException, "CloudWatch Logs role ARN must be
# set in account settings to enable logging"). The local root is the one stack of its
# (throwaway) account, so it sets the role itself; both stages depend on it.
manage_api_gateway_account = true

# Nothing to wait for locally.
kms_deletion_window_in_days = 7

# Retry a failed message within seconds (visibility = the consumer's timeout) and
# dead-letter it on the second failure, so poison messages settle fast locally.
visibility_timeout_multiplier = 1
max_receive_count             = 2

# The SQS consumers' timeouts set their queues' visibility timeouts (times the
# multiplier, 1 here): 15 s instead of the stack's 30 and 60 keeps local
# retries within seconds.
functions = {
  processor = { timeout = 15 }
  sequencer = { timeout = 15 }
}

# Repair what is still pending after a minute (the least the stack allows) rather than five, so a
# local run settles, and its pending index empties, within a minute of the last accept.
reconcile_after_seconds = 60

# API keys alone identify callers here (the default). auth_mode = "cognito" makes the local
# cloud verify user-pool tokens as API Gateway does (localcloud/README.md says how to get one).
auth_mode = "api_key"

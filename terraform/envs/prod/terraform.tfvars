environment = "prod"
region      = "us-east-1"

# Required (no default): the accounts this root may touch. A fork sets its production account here,
# or passes TF_VAR_allowed_account_ids='["333333333333"]' as the nightly workflow does for dev.
# allowed_account_ids = ["333333333333"]

tags = {
  Owner = "platform"
}

log_level                 = "INFO"
log_retention_in_days     = 365
table_deletion_protection = true
api_quota_limit           = 1000000

# The stack's baseline web ACL on both API stages (modules/waf); a fork whose
# security team owns one sets web_acl_arn instead.
waf_enabled = true

# Reserved concurrency caps each consumer so a burst cannot starve the API, and
# keeps the API from taking every execution the consumers need. Memory and
# timeouts keep the stack's per-function defaults. Why each number:
# - api 100: both stages are throttled at 100 requests/s per stage (burst 50);
#   at well under a second a request that is a few dozen executions, and 100
#   leaves room for slow calls and a burst of cold starts.
# - publisher 20: one concurrent batch per table stream shard (parallelization
#   factor 1); 20 covers the table's shards as it grows.
# - processor 20, sequencer 10: their SQS mappings poll with at most their
#   reserved concurrency (a throttled receive would count toward
#   maxReceiveCount); the FIFO sequencer works one message group at a time.
# - analytics 10: one batch per Kinesis shard (on-demand starts at 4 shards).
# - notifier 5: alerts only, a small share of the events.
# - reconciler 1: runs every 5 minutes and must never overlap itself.
# Together 166. Lambda developer guide, "Configuring reserved concurrency": "You
# can reserve up to the Unreserved account concurrency value minus 100. The
# remaining 100 units of concurrency are for functions that aren't using
# reserved concurrency." So the account needs at least 266 concurrent
# executions, and "Lambda quotas" warns that new accounts start with a reduced
# quota: a new production account must have its quota raised (Service Quotas:
# Lambda, Concurrent executions, L-B99A9384) before the first apply, or
# PutFunctionConcurrency fails (InvalidParameterValueException, "... decreases
# account's UnreservedConcurrentExecution below its minimum value of [100]").
# Prod declares the usual 1000 below; the stack refuses reservations above it
# minus 100, and `make preflight ENV=prod` reads the account's real limit
# (GetAccountSettings) and fails, naming the quota request, when it is below
# 1000 or would leave less than 100 unreserved.
lambda_concurrency_quota = 1000

functions = {
  api        = { reserved_concurrency = 100 }
  publisher  = { reserved_concurrency = 20 }
  processor  = { reserved_concurrency = 20 }
  sequencer  = { reserved_concurrency = 10 }
  analytics  = { reserved_concurrency = 10 }
  notifier   = { reserved_concurrency = 5 }
  reconciler = { reserved_concurrency = 1 }
}

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

# Reserved concurrency caps each consumer so a burst cannot starve the API
# (needs an account concurrency limit well above the sum plus 100 unreserved).
# Memory and timeouts keep the stack's per-function defaults. The SQS consumers'
# mappings poll with at most their reserved concurrency.
functions = {
  api        = { reserved_concurrency = 100 }
  publisher  = { reserved_concurrency = 20 }
  processor  = { reserved_concurrency = 20 }
  sequencer  = { reserved_concurrency = 10 }
  analytics  = { reserved_concurrency = 10 }
  notifier   = { reserved_concurrency = 5 }
  reconciler = { reserved_concurrency = 1 }
}

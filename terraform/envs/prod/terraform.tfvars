environment = "prod"
region      = "us-east-1"

# allowed_account_ids = ["333333333333"]  # a fork sets its production account here

tags = {
  Owner = "platform"
}

log_level                 = "INFO"
log_retention_in_days     = 365
table_deletion_protection = true
api_quota_limit           = 1000000

# Reserved concurrency caps each consumer so a burst cannot starve the API
# (needs an account concurrency limit well above the sum plus 100 unreserved).
functions = {
  api        = { handler = "app.app", memory_size = 512, reserved_concurrency = 100 }
  publisher  = { handler = "app.publisher", reserved_concurrency = 20 }
  processor  = { handler = "app.processor", reserved_concurrency = 20 }
  sequencer  = { handler = "app.sequencer", reserved_concurrency = 10 }
  analytics  = { handler = "app.analytics", reserved_concurrency = 10 }
  notifier   = { handler = "app.notifier", reserved_concurrency = 5 }
  reconciler = { handler = "app.reconciler", timeout = 60, reserved_concurrency = 1 }
}

environment = "staging"
region      = "us-east-1"

# allowed_account_ids = ["222222222222"]  # a fork sets its staging account here

tags = {
  Owner = "platform"
}

log_level             = "INFO"
log_retention_in_days = 90

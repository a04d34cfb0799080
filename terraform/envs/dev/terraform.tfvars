environment = "dev"
region      = "us-east-1"

# allowed_account_ids = ["111111111111"]  # a fork sets its dev account here

tags = {
  Owner = "platform"
}

log_level             = "DEBUG"
log_retention_in_days = 30

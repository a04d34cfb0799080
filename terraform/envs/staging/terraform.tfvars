environment = "staging"
region      = "us-east-1"

# Required (no default): the accounts this root may touch. A fork sets its staging account here,
# or passes TF_VAR_allowed_account_ids='["222222222222"]' as the nightly workflow does for dev.
# allowed_account_ids = ["222222222222"]

tags = {
  Owner = "platform"
}

log_level             = "INFO"
log_retention_in_days = 90

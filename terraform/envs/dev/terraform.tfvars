environment = "dev"
region      = "us-east-1"

# Required (no default): the accounts this root may touch. A fork sets its dev account here,
# or passes TF_VAR_allowed_account_ids='["111111111111"]' as the nightly workflow does for dev.
# allowed_account_ids = ["111111111111"]

tags = {
  Owner = "platform"
}

log_level             = "DEBUG"
log_retention_in_days = 30

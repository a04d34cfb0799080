# S3 state with S3-native locking (Terraform 1.10+; DynamoDB locking is
# deprecated). Partial configuration: copy backend.hcl.example to backend.hcl,
# fill it in, then `terraform init -backend-config=backend.hcl`.
terraform {
  backend "s3" {
    use_lockfile = true
  }
}

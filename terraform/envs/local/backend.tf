# Local state. The Makefile passes -backend-config=path=build/local/terraform.tfstate
# so state lives under build/ (ignored), not in this directory.
terraform {
  backend "local" {}
}

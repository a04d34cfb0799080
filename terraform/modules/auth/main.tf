data "aws_region" "current" {}

locals {
  # `id` is the region name on provider 5.x and 6.x (`name` is deprecated in 6.x).
  region = data.aws_region.current.id

  resource_server = split("/", var.scopes[0])[0]
  scope_names     = toset([for s in var.scopes : split("/", s)[1]])
  scopes          = sort([for name in local.scope_names : "${local.resource_server}/${name}"])
}

################################################################################
# User pool: the issuer of the callers' tokens
################################################################################

# Machine callers only: nobody signs up, and no user is created here. A person
# (or a test) needing a user-bound token gets one from an administrator.
resource "aws_cognito_user_pool" "this" {
  name                = var.name
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  admin_create_user_config {
    allow_admin_create_user_only = true
  }

  tags = var.tags
}

# The API's scopes: the contract names the ones each operation requires, and
# API Gateway's authorizer accepts an access token that carries one of them.
resource "aws_cognito_resource_server" "this" {
  user_pool_id = aws_cognito_user_pool.this.id
  identifier   = local.resource_server
  name         = "${var.name} API"

  dynamic "scope" {
    for_each = local.scope_names

    content {
      scope_name        = scope.value
      scope_description = "${local.resource_server}/${scope.value} on the ${var.name} API"
    }
  }
}

# The hosted domain serves the OAuth2 token endpoint the machine client calls.
resource "aws_cognito_user_pool_domain" "this" {
  domain       = var.domain_prefix
  user_pool_id = aws_cognito_user_pool.this.id
}

################################################################################
# Machine client: the client-credentials grant, one client per caller
################################################################################

# Its secret stays in the state and in Cognito (never in an output): read it
# with `aws cognito-idp describe-user-pool-client`. Deleting a client revokes
# that caller alone; a fork adds one client per caller the same way.
resource "aws_cognito_user_pool_client" "machine" {
  name         = "${var.name}-machine"
  user_pool_id = aws_cognito_user_pool.this.id

  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["client_credentials"]
  allowed_oauth_scopes                 = local.scopes
  supported_identity_providers         = ["COGNITO"]
  # No user sign-in through this client; refresh is the one flow Cognito insists on.
  explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]

  access_token_validity = var.access_token_validity_minutes
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  # The scopes must exist on the resource server before a client may be given them.
  depends_on = [aws_cognito_resource_server.this]
}

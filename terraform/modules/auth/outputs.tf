output "user_pool_id" {
  description = "ID of the user pool that issues the callers' tokens."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool (the API's COGNITO_USER_POOLS authorizer names it)."
  value       = aws_cognito_user_pool.this.arn
}

output "issuer" {
  description = "Issuer (`iss` claim) of the pool's tokens; its signing keys are at <issuer>/.well-known/jwks.json."
  value       = "https://cognito-idp.${local.region}.amazonaws.com/${aws_cognito_user_pool.this.id}"
}

output "client_id" {
  description = "ID of the machine client (client-credentials grant). Its secret is not an output: `aws cognito-idp describe-user-pool-client --user-pool-id <user_pool_id> --client-id <client_id> --query UserPoolClient.ClientSecret --output text`."
  value       = aws_cognito_user_pool_client.machine.id
}

output "token_url" {
  description = "The OAuth2 token endpoint of the pool's domain: POST grant_type=client_credentials (and optionally scope=...) with the client id and secret as HTTP Basic credentials."
  value       = "https://${aws_cognito_user_pool_domain.this.domain}.auth.${local.region}.amazoncognito.com/oauth2/token"
}

output "scopes" {
  description = "The scopes the resource server offers and the machine client may request (\"<resource server>/<scope>\")."
  value       = local.scopes
}

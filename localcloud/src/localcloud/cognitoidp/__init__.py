"""Cognito user pools beyond moto: the OAuth2 token endpoint (client-credentials grant) that moto
does not serve, and reading back the tokens a pool signs, for the API Gateway authorizer."""

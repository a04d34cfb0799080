"""API Gateway (REST, v1) data plane on moto's state: routes, API keys, Lambda proxy
events, gateway responses, the OpenAPI import made faithful, the invoke it calls."""

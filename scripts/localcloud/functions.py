"""Finding moto's Lambda function model from an ARN."""

from __future__ import annotations

from moto.awslambda.models import LambdaFunction, lambda_backends


def parse_function_arn(arn: str) -> tuple[str, str, str, str | None]:
    """(account, region, name, qualifier) of a function ARN.

    Also accepts an API Gateway integration URI, which wraps the function ARN:
    arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations
    """
    if ":apigateway:" in arn and "/functions/" in arn:
        arn = arn.split("/functions/", 1)[1].removesuffix("/invocations")
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
        raise ValueError(f"not a Lambda function ARN: {arn}")
    qualifier = parts[7] if len(parts) == 8 else None
    return parts[4], parts[3], parts[6], qualifier


def find_function(arn: str) -> LambdaFunction:
    """The function (or version) an ARN names; raises if there is none."""
    account, region, name, qualifier = parse_function_arn(arn)
    return lambda_backends[account][region].get_function(name, qualifier)

"""Service Quotas answers the local account's Lambda concurrency and API Gateway's throttle rate;
other quotas and the rules off keep moto's answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud import aws_rules
from localcloud.testing import Cloud, running_cloud

FUNCTIONS = Path(__file__).with_name("functions")


def _quota(cloud: Cloud, service: str, code: str, region: str = "us-east-1") -> dict[str, Any]:
    client = boto3.client(
        "service-quotas",
        endpoint_url=cloud.endpoint_url,
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    quota: dict[str, Any] = client.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
    return quota


def test_lambda_concurrency_is_the_accounts_limit_as_get_account_settings_says(tmp_path: Path) -> None:
    with running_cloud(tmp_path, FUNCTIONS, lambda_concurrency_limit=50) as cloud:
        quota = _quota(cloud, "lambda", "L-B99A9384")
        assert (quota["QuotaName"], quota["Value"], quota["Adjustable"]) == ("Concurrent executions", 50.0, True)
        assert quota["QuotaArn"] == "arn:aws:servicequotas:us-east-1:123456789012:lambda/L-B99A9384"
        assert cloud.client("lambda").get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 50


def test_api_gateways_throttle_rate_is_the_regions_default(cloud: Cloud) -> None:
    assert _quota(cloud, "apigateway", "L-8A5B8E43")["Value"] == 10_000.0
    assert _quota(cloud, "apigateway", "L-8A5B8E43", region="eu-south-1")["Value"] == 2_500.0  # Milan


def test_other_quotas_and_the_rules_off_keep_mosts_answers(cloud: Cloud) -> None:
    with pytest.raises(ClientError) as unknown:
        _quota(cloud, "lambda", "L-2ACBD22F")
    assert unknown.value.response["Error"]["Code"] == "NoSuchResourceException"
    with aws_rules.suspended(), pytest.raises(ClientError) as off:
        _quota(cloud, "lambda", "L-B99A9384")
    assert off.value.response["Error"]["Code"] == "NoSuchResourceException"

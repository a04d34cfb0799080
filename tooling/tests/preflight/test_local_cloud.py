"""Preflight against a running local cloud that starts as a new AWS account would, with the dev root's
settings read from Terraform and a backend config naming the test's bucket and key: a set-up account
passes; each missing piece fails naming its fix."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from localcloud.testing import Cloud
from tooling.preflight.__main__ import report
from tooling.preflight.reads import AwsReads
from tooling.preflight.settings import Backend, EnvSettings, read_backend

Account = Callable[..., contextlib.AbstractContextManager[Cloud]]
APIGATEWAY_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def set_up(cloud: Cloud, tmp: Path, *, bucket: bool = True, cloudwatch_role: bool = True) -> Backend:
    """What the README's walkthrough has a new account create; returns the backend naming it. (IAM is shared
    between the clouds a process starts, hence a role name of its own.)"""
    # A name of its own: moto keeps a process-wide map of bucket names to accounts that resetting its
    # backends leaves behind, and a HeadBucket of a name still in it recurses (a 500), not a 404.
    name = f"events-terraform-state-{uuid.uuid4().hex[:8]}"
    if bucket:
        cloud.client("s3").create_bucket(Bucket=name)
    key = cloud.client("kms").create_key(Description="Terraform state")["KeyMetadata"]["Arn"]
    if cloudwatch_role:
        role = cloud.client("iam").create_role(
            RoleName=f"apigw-cloudwatch-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=APIGATEWAY_TRUST
        )
        operation = {"op": "replace", "path": "/cloudwatchRoleArn", "value": role["Role"]["Arn"]}
        cloud.client("apigateway").update_account(patchOperations=[operation])
    config = tmp / "backend.hcl"
    config.write_text(
        f'bucket = "{name}"\nkey = "events/dev/terraform.tfstate"\nregion = "us-east-1"\n'
        f'encrypt = true\nkms_key_id = "{key}"\n',
        encoding="utf-8",
    )
    return read_backend(config)


def preflight(
    settings: EnvSettings, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, str]]:
    code = report(replace(settings, backend=backend), AwsReads(settings.region))
    lines = capsys.readouterr().out.splitlines()
    by_name = {line[12:36].strip(): line for line in lines if line[:11].strip() in ("ok", "FAIL", "not checked")}
    return code, by_name


def test_a_set_up_account_passes(
    tmp_path: Path, account: Account, dev_settings: EnvSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    with account() as cloud:
        code, lines = preflight(dev_settings, set_up(cloud, tmp_path), capsys)
    assert code == 0, "\n".join(lines.values())
    assert lines["state bucket"].startswith("ok")
    assert lines["state KMS key"].startswith("ok")
    assert lines["API Gateway logging role"].startswith("ok")
    assert lines["Lambda concurrency"].startswith("ok")
    # The local account answers API Gateway's throttle rate as a new account's (10,000/s in us-east-1).
    assert lines["quota: API Gateway rate"].startswith("ok")


def test_no_cloudwatch_role_fails_naming_the_fix(
    tmp_path: Path, account: Account, dev_settings: EnvSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    with account() as cloud:
        code, lines = preflight(dev_settings, set_up(cloud, tmp_path, cloudwatch_role=False), capsys)
    assert code == 1
    line = lines["API Gateway logging role"]
    assert line.startswith("FAIL")
    assert "us-east-1 has no API Gateway CloudWatch role" in line
    assert "manage_api_gateway_account = true" in line


def test_a_concurrency_limit_of_50_fails_naming_the_quota_request(
    tmp_path: Path, account: Account, dev_settings: EnvSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    with account(lambda_concurrency_limit=50) as cloud:
        code, lines = preflight(dev_settings, set_up(cloud, tmp_path), capsys)
    assert code == 1
    line = lines["Lambda concurrency"]
    assert line.startswith("FAIL")
    assert "account limit 50" in line
    assert "request 1000 or more (Service Quotas: Lambda, Concurrent executions (L-B99A9384))" in line


def test_a_missing_state_bucket_fails_naming_the_fix(
    tmp_path: Path, account: Account, dev_settings: EnvSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    with account() as cloud:
        backend = set_up(cloud, tmp_path, bucket=False)
        code, lines = preflight(dev_settings, backend, capsys)
    assert code == 1
    line = lines["state bucket"]
    assert line.startswith("FAIL")
    assert f"s3://{backend.bucket} does not exist (404)" in line
    assert f"aws s3api create-bucket --bucket {backend.bucket}" in line

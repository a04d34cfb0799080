"""Every AWS call preflight makes: each one a read (Get, Head, Describe, List), nothing else.

``Reads`` is what the checks see; ``AwsReads`` answers it with boto3's default credential chain and,
where set, ``AWS_ENDPOINT_URL`` (the local cloud), exactly as the AWS CLI and Terraform would.
A refused or failed call becomes a ``ReadError`` with AWS's error code and message, so each check
decides what a refusal means for its verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=20)


class ReadError(Exception):
    """A read AWS refused or that did not reach it: ``code`` is AWS's error code (or the client's)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class KinesisLimits:
    shard_limit: int
    open_shards: int
    on_demand_streams: int
    on_demand_stream_limit: int


class Reads(Protocol):
    """What the checks read; the unit tests answer it with fakes."""

    def endpoint(self) -> str: ...
    def caller_account(self) -> str: ...
    def head_bucket(self, bucket: str, region: str) -> None: ...
    def bucket_encryption(self, bucket: str, region: str) -> str: ...
    def key_state(self, key_id: str, region: str) -> str: ...
    def apigateway_cloudwatch_role(self) -> str | None: ...
    def lambda_concurrency_limit(self) -> int: ...
    def service_quota(self, service: str, code: str) -> float: ...
    def kinesis_limits(self) -> KinesisLimits: ...
    def list_regional_web_acls(self) -> None: ...


def _call(client: Any, operation: str, **kwargs: Any) -> Any:
    try:
        return getattr(client, operation)(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        # HeadBucket has no body: the status code is all AWS says.
        code = str(error.get("Code") or status or "ClientError")
        raise ReadError(code, str(error.get("Message") or exc)) from exc
    except BotoCoreError as exc:
        raise ReadError(type(exc).__name__, str(exc)) from exc


class AwsReads:
    """Reads against the account the caller's credentials name, in ``region``."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._session = boto3.session.Session(region_name=region)
        self._clients: dict[tuple[str, str], Any] = {}

    def _client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = self._session.client(service, region_name=key[1], config=_CONFIG)  # type: ignore[call-overload]  # the service name is a plain str
        return self._clients[key]

    def endpoint(self) -> str:
        return str(self._client("sts").meta.endpoint_url)

    def caller_account(self) -> str:
        return str(_call(self._client("sts"), "get_caller_identity")["Account"])

    def head_bucket(self, bucket: str, region: str) -> None:
        _call(self._client("s3", region), "head_bucket", Bucket=bucket)

    def bucket_encryption(self, bucket: str, region: str) -> str:
        answer = _call(self._client("s3", region), "get_bucket_encryption", Bucket=bucket)
        rules = answer["ServerSideEncryptionConfiguration"]["Rules"]
        return ", ".join(str(r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]) for r in rules)

    def key_state(self, key_id: str, region: str) -> str:
        return str(_call(self._client("kms", region), "describe_key", KeyId=key_id)["KeyMetadata"]["KeyState"])

    def apigateway_cloudwatch_role(self) -> str | None:
        role = _call(self._client("apigateway"), "get_account").get("cloudwatchRoleArn")
        return str(role) if role else None

    def lambda_concurrency_limit(self) -> int:
        settings = _call(self._client("lambda"), "get_account_settings")
        return int(settings["AccountLimit"]["ConcurrentExecutions"])

    def service_quota(self, service: str, code: str) -> float:
        answer = _call(self._client("service-quotas"), "get_service_quota", ServiceCode=service, QuotaCode=code)
        return float(answer["Quota"]["Value"])

    def kinesis_limits(self) -> KinesisLimits:
        limits = _call(self._client("kinesis"), "describe_limits")
        return KinesisLimits(
            shard_limit=int(limits["ShardLimit"]),
            open_shards=int(limits["OpenShardCount"]),
            on_demand_streams=int(limits["OnDemandStreamCount"]),
            on_demand_stream_limit=int(limits["OnDemandStreamCountLimit"]),
        )

    def list_regional_web_acls(self) -> None:
        _call(self._client("wafv2"), "list_web_acls", Scope="REGIONAL", Limit=1)

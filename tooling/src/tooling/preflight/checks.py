"""Each check: what it read, its verdict, and the fix when it fails. Pure over ``Reads`` and the settings.

A check that cannot read what it needs fails (the deploy would need the same permission), except the
Service Quotas reads, which say "not checked" and why: a quota Service Quotas does not answer is not a
reason to stop a deploy the rest of the checks allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlparse

from tooling.preflight import features
from tooling.preflight.reads import ReadError, Reads
from tooling.preflight.settings import EnvSettings


class Verdict(Enum):
    PASS = "ok"  # noqa: S105  (a verdict, not a password)
    FAIL = "FAIL"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class Result:
    name: str
    verdict: Verdict
    detail: str
    fix: str = ""
    # False when the account could not be reached at all: the other reads would only repeat why.
    reached: bool = True

    def line(self) -> str:
        text = f"{self.verdict.value:<11} {self.name:<24} {self.detail}"
        return f"{text} -> fix: {self.fix}" if self.fix else text


def _tfvars(s: EnvSettings) -> str:
    return f"terraform/envs/{s.env}/terraform.tfvars"


def _is_aws(endpoint: str) -> bool:
    host = urlparse(endpoint).hostname or ""
    return host.endswith((".amazonaws.com", ".api.aws", ".amazonaws.com.cn"))


def check_account(s: EnvSettings, reads: Reads) -> Result:
    """STS GetCallerIdentity against allowed_account_ids (the provider refuses any other account)."""
    name = "account"
    try:
        account = reads.caller_account()
    except ReadError as exc:
        fix = "give the caller valid credentials (aws sts get-caller-identity must answer), or start the local cloud"
        return Result(name, Verdict.FAIL, f"sts:GetCallerIdentity failed ({exc})", fix, reached=False)
    if not s.allowed_account_ids_set:
        return Result(
            name,
            Verdict.FAIL,
            f"caller is {account}; allowed_account_ids is not set for {s.env}",
            f'set allowed_account_ids = ["{account}"] in {_tfvars(s)} or TF_VAR_allowed_account_ids=\'["{account}"]\'',
        )
    if s.allowed_account_ids is None:
        # Only the local root sets null (its validation refuses it elsewhere): any account, but then the
        # calls must go to an emulator, never to AWS with whatever credentials happen to be around.
        endpoint = reads.endpoint()
        if _is_aws(endpoint):
            return Result(
                name,
                Verdict.FAIL,
                f"{s.env} allows any account but the calls go to AWS ({endpoint}, account {account})",
                "run through make (ENV=local exports AWS_ENDPOINT_URL for the local cloud) or set AWS_ENDPOINT_URL",
            )
        return Result(name, Verdict.PASS, f"local cloud at {endpoint}, account {account}")
    if account in s.allowed_account_ids:
        return Result(name, Verdict.PASS, f"{account} is in allowed_account_ids")
    return Result(
        name,
        Verdict.FAIL,
        f"caller is {account}, not one of allowed_account_ids {list(s.allowed_account_ids)}",
        f"use credentials of {', '.join(s.allowed_account_ids)} (AWS_PROFILE, the OIDC role), or add {account} to "
        f"allowed_account_ids in {_tfvars(s)}",
    )


def check_state_bucket(s: EnvSettings, reads: Reads) -> Result:  # noqa: PLR0911  (one return per verdict)
    """S3 HeadBucket and GetBucketEncryption of the backend's bucket (``terraform init`` needs it)."""
    name = "state bucket"
    backend = s.backend
    if backend is None:
        return Result(name, Verdict.PASS, 'local state file (backend "local"): nothing to reach')
    if not backend.present:
        return Result(
            name,
            Verdict.FAIL,
            f"{backend.source} is missing",
            f"copy {backend.source.name}.example to {backend.source.name} and name your state bucket and KMS key",
        )
    if not backend.bucket:
        return Result(name, Verdict.FAIL, f"{backend.source} names no bucket", f"set bucket in {backend.source}")
    region = backend.region or s.region
    try:
        reads.head_bucket(backend.bucket, region)
    except ReadError as exc:
        if exc.code in ("404", "NoSuchBucket", "NotFound"):
            fix = (
                f"create it: aws s3api create-bucket --bucket {backend.bucket} --region {region}, then turn on "
                "versioning and block public access (README, Environments)"
            )
            return Result(name, Verdict.FAIL, f"s3://{backend.bucket} does not exist ({exc.code})", fix)
        if exc.code in ("403", "AccessDenied"):
            fix = f"grant the caller s3:ListBucket on arn:aws:s3:::{backend.bucket} (or name the caller's own bucket)"
            return Result(name, Verdict.FAIL, f"s3://{backend.bucket} is not reachable ({exc.code})", fix)
        return Result(name, Verdict.FAIL, f"s3:HeadBucket {backend.bucket} failed ({exc})", "check the bucket's region")
    try:
        encryption = reads.bucket_encryption(backend.bucket, region)
    except ReadError as exc:
        encryption = f"default encryption not readable: {exc.code}"
    return Result(name, Verdict.PASS, f"s3://{backend.bucket} in {region} ({encryption})")


def check_state_key(s: EnvSettings, reads: Reads) -> Result:
    """KMS DescribeKey of the backend's kms_key_id: it must exist and be Enabled to encrypt the state."""
    name = "state KMS key"
    backend = s.backend
    if backend is None:
        return Result(name, Verdict.PASS, "local state file: no key")
    if not backend.present or not backend.kms_key_id:
        where = backend.source if backend.present else f"{backend.source}.example"
        return Result(
            name,
            Verdict.FAIL,
            f"no kms_key_id in {backend.source}" if backend.present else f"{backend.source} is missing",
            f"set kms_key_id (a customer-managed key the deploying roles may use) as in {where}",
        )
    region = backend.region or s.region
    try:
        state = reads.key_state(backend.kms_key_id, region)
    except ReadError as exc:
        fix = (
            "create the key (aws kms create-key) and put its ARN in kms_key_id"
            if exc.code == "NotFoundException"
            else "let the caller kms:DescribeKey, kms:Encrypt, kms:Decrypt and kms:GenerateDataKey on it (key policy)"
        )
        return Result(name, Verdict.FAIL, f"{backend.kms_key_id} ({exc.code}: {exc.message})", fix)
    if state != "Enabled":
        fix = "enable it (aws kms enable-key, or cancel-key-deletion) or name another key"
        return Result(name, Verdict.FAIL, f"{backend.kms_key_id} is {state}", fix)
    return Result(name, Verdict.PASS, f"{backend.kms_key_id} is Enabled")


def check_cloudwatch_role(s: EnvSettings, reads: Reads) -> Result:
    """API Gateway GetAccount: stages that log need the region's CloudWatch role ARN.

    "CloudWatch Logs role ARN must be set in account settings to enable logging" (the BadRequestException
    CreateStage and UpdateStage answer otherwise; API Gateway developer guide, "Set up CloudWatch logging
    for REST APIs").
    """
    name = "API Gateway logging role"
    try:
        role = reads.apigateway_cloudwatch_role()
    except ReadError as exc:
        return Result(name, Verdict.FAIL, f"apigateway:GetAccount failed ({exc})", "grant the caller apigateway:GET")
    if role:
        return Result(name, Verdict.PASS, f"{s.region} has {role}")
    if s.manage_api_gateway_account:
        return Result(name, Verdict.PASS, f"{s.region} has none; this env sets it (manage_api_gateway_account = true)")
    return Result(
        name,
        Verdict.FAIL,
        f"{s.region} has no API Gateway CloudWatch role and {s.env} does not set one",
        "set it once for the account and region (aws apigateway update-account --patch-operations "
        "op=replace,path=/cloudwatchRoleArn,value=<role with AmazonAPIGatewayPushToCloudWatchLogs>), or set "
        f"manage_api_gateway_account = true in one long-lived env's tfvars ({_tfvars(s)})",
    )


# "You can reserve up to the Unreserved account concurrency value that is shown, minus 100 for functions
# that don't have reserved concurrency." (Lambda developer guide, "Configuring reserved concurrency")
UNRESERVED_MINIMUM = 100


def check_lambda_concurrency(s: EnvSettings, reads: Reads) -> Result:
    """Lambda GetAccountSettings: the account's limit against this env's reservations and its stated quota."""
    name = "Lambda concurrency"
    try:
        limit = reads.lambda_concurrency_limit()
    except ReadError as exc:
        fix = "grant the caller lambda:GetAccountSettings"
        return Result(name, Verdict.FAIL, f"lambda:GetAccountSettings failed ({exc})", fix)
    reserved = s.reserved_concurrency
    quota_from = "lambda_concurrency_quota" if s.lambda_concurrency_quota_set else "the stack's assumed quota"
    request = "Service Quotas: Lambda, Concurrent executions (L-B99A9384)"
    short_unreserved = limit - reserved < UNRESERVED_MINIMUM
    if short_unreserved:
        detail = (
            f"account limit {limit} leaves {limit - reserved} unreserved after {s.env}'s {reserved} reserved "
            f"(Lambda keeps {UNRESERVED_MINIMUM})"
        )
    elif limit < s.lambda_concurrency_quota:
        detail = f"account limit {limit} is below {quota_from} ({s.lambda_concurrency_quota})"
    else:
        detail = ""
    if detail:
        need = max(reserved + UNRESERVED_MINIMUM, s.lambda_concurrency_quota)
        if short_unreserved and reserved:
            instead = f"lower functions.*.reserved_concurrency in {_tfvars(s)}"
        else:
            instead = f"set lambda_concurrency_quota = {limit} in {_tfvars(s)}"
        if limit < UNRESERVED_MINIMUM:
            instead = "no setting helps: Lambda keeps 100 of the limit unreserved"
        return Result(name, Verdict.FAIL, detail, f"request {need} or more ({request}); or {instead}")
    return Result(name, Verdict.PASS, f"account limit {limit}: {reserved} reserved, {limit - reserved} left unreserved")


# "Throttle quota per account, per Region across HTTP APIs, REST APIs, WebSocket APIs, and WebSocket callback
# APIs | 10,000 requests per second (RPS)" - adjustable as quota L-8A5B8E43 (API Gateway developer guide,
# "Amazon API Gateway quotas").
APIGATEWAY_THROTTLE = ("apigateway", "L-8A5B8E43")


def check_apigateway_rate(s: EnvSettings, reads: Reads) -> Result:
    """Service Quotas GetServiceQuota: the account's API Gateway rate against the stages' throttle."""
    name = "quota: API Gateway rate"
    service, code = APIGATEWAY_THROTTLE
    need = s.sizing.api_throttling_rate_limit
    try:
        rate = reads.service_quota(service, code)
    except ReadError as exc:
        why = f"Service Quotas does not answer {service} {code} here ({exc.code}: {exc.message})"
        return Result(name, Verdict.NOT_CHECKED, f"{why}; the stages throttle at {need:g}/s")
    if rate < need:
        return Result(
            name,
            Verdict.FAIL,
            f"the account's {rate:g} requests/s is below api_throttling_rate_limit {need:g}",
            f"request {need:g} (Service Quotas: API Gateway, Throttle rate, {code}) or lower api_throttling_rate_limit",
        )
    return Result(name, Verdict.PASS, f"the account's {rate:g} requests/s covers the stages' {need:g}")


def check_kinesis(s: EnvSettings, reads: Reads) -> Result:
    """Kinesis DescribeLimits ("Describes the shard limits and usage for the account", Kinesis API reference):
    room for this env's stream, in its capacity mode."""
    name = "quota: Kinesis"
    try:
        limits = reads.kinesis_limits()
    except ReadError as exc:
        return Result(name, Verdict.FAIL, f"kinesis:DescribeLimits failed ({exc})", "grant kinesis:DescribeLimits")
    if s.sizing.stream_mode == "PROVISIONED":
        need, free = s.sizing.stream_shard_count, limits.shard_limit - limits.open_shards
        if free < need:
            return Result(
                name,
                Verdict.FAIL,
                f"{free} of {limits.shard_limit} shards free, the stream needs {need}",
                "request more shards (Service Quotas: Kinesis Data Streams) or lower stream_shard_count",
            )
        return Result(name, Verdict.PASS, f"{free} of {limits.shard_limit} shards free for the stream's {need}")
    # "By default, you can create up to 50 data streams with the on-demand capacity mode. If you require an
    # increase of this quota, raise a support ticket." (Kinesis developer guide, "Quotas and limits")
    free = limits.on_demand_stream_limit - limits.on_demand_streams
    if free < 1:
        return Result(
            name,
            Verdict.FAIL,
            f"all {limits.on_demand_stream_limit} on-demand streams are taken",
            'raise a support ticket for more on-demand streams, or stream_mode = "PROVISIONED"',
        )
    return Result(name, Verdict.PASS, f"{free} of {limits.on_demand_stream_limit} on-demand streams free")


def check_sns_fifo(s: EnvSettings, reads: Reads) -> Result:
    """The FIFO topic's throughput: a per-topic figure the capacity model uses, not a quota any API reads."""
    scope = "message group" if s.sizing.fifo_high_throughput else "topic"
    return Result(
        "quota: SNS FIFO",
        Verdict.NOT_CHECKED,
        f"{scope} scope; no Service Quotas code for SNS FIFO publish throughput was found in AWS's documentation "
        "(the capacity model's figures come from the SNS guide: make cost)",
    )


def check_snapstart(s: EnvSettings, reads: Reads) -> Result:
    """No Lambda API lists where SnapStart is offered: the stack's runtimes.json keeps the regions without it."""
    name = "feature: SnapStart"
    if not s.sizing.api_snapstart:
        return Result(name, Verdict.PASS, "not used (api_snapstart = false)")
    where = features.snapstart_unavailable(s.region, s.sizing.runtime)
    if where:
        return Result(name, Verdict.FAIL, where, f"api_snapstart = false in {_tfvars(s)}, or another region")
    return Result(name, Verdict.PASS, f"offered for {s.sizing.runtime} in {s.region} ({features.SNAPSTART_SOURCE})")


def check_waf(s: EnvSettings, reads: Reads) -> Result:
    """WAFv2 ListWebACLs (Scope REGIONAL, the stack's web ACL scope for both stages) answers where WAF is offered."""
    name = "feature: WAF"
    if not s.waf:
        return Result(name, Verdict.PASS, "not used (waf_enabled = false, no web_acl_arn)")
    try:
        reads.list_regional_web_acls()
    except ReadError as exc:
        if exc.code in ("EndpointConnectionError", "WAFInvalidOperationException"):
            fix = f"waf_enabled = false and web_acl_arn = null in {_tfvars(s)}, or a region where AWS WAF is offered"
            return Result(name, Verdict.FAIL, f"AWS WAF (REGIONAL) does not answer in {s.region} ({exc.code})", fix)
        return Result(name, Verdict.NOT_CHECKED, f"wafv2:ListWebACLs refused ({exc.code}): cannot tell")
    return Result(name, Verdict.PASS, f"AWS WAF (REGIONAL) answers in {s.region}")


CHECKS: tuple[Callable[[EnvSettings, Reads], Result], ...] = (
    check_account,
    check_state_bucket,
    check_state_key,
    check_cloudwatch_role,
    check_lambda_concurrency,
    check_apigateway_rate,
    check_kinesis,
    check_sns_fifo,
    check_snapstart,
    check_waf,
)


def run_checks(s: EnvSettings, reads: Reads) -> list[Result]:
    first = CHECKS[0](s, reads)
    if not first.reached:
        # A region without a service and a network that reaches nothing look alike (no endpoint answers).
        return [first, Result("the other checks", Verdict.NOT_CHECKED, "not run: the account was not reached")]
    return [first, *(check(s, reads) for check in CHECKS[1:])]

"""Each check's verdict and line from fakes of the reads: what passes, what fails, and the fix it names."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tooling.cost.sizing import FunctionSizing, Sizing
from tooling.preflight import checks
from tooling.preflight.checks import Verdict
from tooling.preflight.reads import KinesisLimits, ReadError
from tooling.preflight.settings import Backend, EnvSettings

BACKEND = Backend(Path("terraform/envs/dev/backend.hcl"), "state-bucket", "us-east-1", "arn:aws:kms:us-east-1:1:key/k")


def sizing(**overrides: object) -> Sizing:
    functions = {n: FunctionSizing(256, 30, None) for n in ("api", "publisher", "processor", "sequencer")}
    functions |= {n: FunctionSizing(256, 60, None) for n in ("analytics", "notifier", "reconciler")}
    base = Sizing(
        environment="dev",
        architecture="arm64",
        runtime="python3.13",
        api_snapstart=False,
        functions=functions,
        queue_batch_size=10,
        stream_batch_size=100,
        stream_parallelization_factor=1,
        stream_mode="ON_DEMAND",
        stream_shard_count=1,
        fifo_high_throughput=False,
        api_throttling_rate_limit=100.0,
        api_throttling_burst_limit=50.0,
        max_receive_count=3,
        log_level="INFO",
        reconcile_schedule_expression="rate(5 minutes)",
    )
    return replace(base, **overrides)  # type: ignore[arg-type]  # the test names real fields


def settings(**overrides: object) -> EnvSettings:
    base = EnvSettings(
        env="dev",
        region="us-east-1",
        allowed_account_ids=("111111111111",),
        allowed_account_ids_set=True,
        lambda_concurrency_quota=1000,
        lambda_concurrency_quota_set=False,
        manage_api_gateway_account=False,
        waf=False,
        sizing=sizing(),
        backend=BACKEND,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]  # the test names real fields


@dataclass
class FakeReads:
    """A set-up account; a test changes one answer, or makes a read raise (``errors``)."""

    account: str = "111111111111"
    url: str = "https://sts.us-east-1.amazonaws.com"
    buckets: set[str] = field(default_factory=lambda: {"state-bucket"})
    keys: dict[str, str] = field(default_factory=lambda: {"arn:aws:kms:us-east-1:1:key/k": "Enabled"})
    role: str | None = "arn:aws:iam::111111111111:role/apigw-logs"
    limit: int = 1000
    quotas: dict[tuple[str, str], float] = field(default_factory=lambda: {("apigateway", "L-8A5B8E43"): 10000.0})
    kinesis: KinesisLimits = field(default_factory=lambda: KinesisLimits(20000, 0, 0, 50))
    errors: dict[str, ReadError] = field(default_factory=dict)

    def _maybe_raise(self, read: str) -> None:
        if read in self.errors:
            raise self.errors[read]

    def endpoint(self) -> str:
        return self.url

    def caller_account(self) -> str:
        self._maybe_raise("caller_account")
        return self.account

    def head_bucket(self, bucket: str, region: str) -> None:
        self._maybe_raise("head_bucket")
        if bucket not in self.buckets:
            raise ReadError("404", "Not Found")

    def bucket_encryption(self, bucket: str, region: str) -> str:
        return "aws:kms"

    def key_state(self, key_id: str, region: str) -> str:
        if key_id not in self.keys:
            raise ReadError("NotFoundException", f"Key '{key_id}' does not exist")
        return self.keys[key_id]

    def apigateway_cloudwatch_role(self) -> str | None:
        return self.role

    def lambda_concurrency_limit(self) -> int:
        self._maybe_raise("lambda_concurrency_limit")
        return self.limit

    def service_quota(self, service: str, code: str) -> float:
        if (service, code) not in self.quotas:
            raise ReadError("NoSuchResourceException", "This service is not available in the current Region.")
        return self.quotas[(service, code)]

    def kinesis_limits(self) -> KinesisLimits:
        return self.kinesis

    def list_regional_web_acls(self) -> None:
        self._maybe_raise("list_regional_web_acls")


def test_a_set_up_account_passes_every_check() -> None:
    results = checks.run_checks(settings(), FakeReads())
    assert [r.verdict for r in results if r.verdict is Verdict.FAIL] == []
    assert [r.name for r in results] == [
        "account",
        "state bucket",
        "state KMS key",
        "API Gateway logging role",
        "Lambda concurrency",
        "quota: API Gateway rate",
        "quota: Kinesis",
        "quota: SNS FIFO",
        "feature: SnapStart",
        "feature: WAF",
    ]


def test_another_account_fails_naming_the_allowed_ones_and_the_tfvars() -> None:
    result = checks.check_account(settings(), FakeReads(account="999999999999"))
    assert result.verdict is Verdict.FAIL
    assert "caller is 999999999999, not one of allowed_account_ids ['111111111111']" in result.line()
    assert "add 999999999999 to allowed_account_ids in terraform/envs/dev/terraform.tfvars" in result.fix


def test_unset_allowed_account_ids_fail_with_the_tf_var_to_set() -> None:
    result = checks.check_account(settings(allowed_account_ids=(), allowed_account_ids_set=False), FakeReads())
    assert result.verdict is Verdict.FAIL
    assert """TF_VAR_allowed_account_ids='["111111111111"]'""" in result.fix


def test_any_account_is_allowed_only_against_an_emulator() -> None:
    local = settings(env="local", allowed_account_ids=None)
    assert checks.check_account(local, FakeReads(url="http://127.0.0.1:4566")).verdict is Verdict.PASS
    to_aws = checks.check_account(local, FakeReads())
    assert to_aws.verdict is Verdict.FAIL
    assert "AWS_ENDPOINT_URL" in to_aws.fix


def test_a_missing_state_bucket_fails_with_how_to_create_it() -> None:
    result = checks.check_state_bucket(settings(), FakeReads(buckets=set()))
    assert result.verdict is Verdict.FAIL
    assert "s3://state-bucket does not exist (404)" in result.detail
    assert "aws s3api create-bucket --bucket state-bucket --region us-east-1" in result.fix


def test_a_bucket_the_caller_may_not_list_fails_naming_the_permission() -> None:
    result = checks.check_state_bucket(settings(), FakeReads(errors={"head_bucket": ReadError("403", "Forbidden")}))
    assert result.verdict is Verdict.FAIL
    assert "s3:ListBucket" in result.fix


def test_a_missing_backend_config_fails_with_the_example_to_copy() -> None:
    missing = replace(BACKEND, bucket=None, region=None, kms_key_id=None, present=False)
    result = checks.check_state_bucket(settings(backend=missing), FakeReads())
    assert result.verdict is Verdict.FAIL
    assert result.fix.startswith("copy backend.hcl.example to backend.hcl")


def test_a_local_state_file_needs_no_bucket() -> None:
    assert checks.check_state_bucket(settings(backend=None), FakeReads(buckets=set())).verdict is Verdict.PASS


@pytest.mark.parametrize(
    ("keys", "says"), [({}, "NotFoundException"), ({BACKEND.kms_key_id: "PendingDeletion"}, "is PendingDeletion")]
)
def test_a_state_key_that_is_gone_or_disabled_fails(keys: dict[str, str], says: str) -> None:
    result = checks.check_state_key(settings(), FakeReads(keys=keys))
    assert result.verdict is Verdict.FAIL
    assert says in result.detail


def test_no_cloudwatch_role_fails_unless_the_env_sets_it() -> None:
    result = checks.check_cloudwatch_role(settings(), FakeReads(role=None))
    assert result.verdict is Verdict.FAIL
    assert "path=/cloudwatchRoleArn" in result.fix
    assert "manage_api_gateway_account = true" in result.fix
    managed = checks.check_cloudwatch_role(settings(manage_api_gateway_account=True), FakeReads(role=None))
    assert managed.verdict is Verdict.PASS


def test_reservations_must_leave_100_unreserved() -> None:
    reserving = settings(sizing=sizing(functions={"api": FunctionSizing(1024, 10, 150)}), lambda_concurrency_quota=200)
    result = checks.check_lambda_concurrency(reserving, FakeReads(limit=200))
    assert result.verdict is Verdict.FAIL
    assert "account limit 200 leaves 50 unreserved after dev's 150 reserved" in result.detail
    assert "request 250 or more" in result.fix
    assert "lower functions.*.reserved_concurrency" in result.fix
    assert checks.check_lambda_concurrency(reserving, FakeReads(limit=250)).verdict is Verdict.PASS


def test_an_account_below_the_envs_quota_fails() -> None:
    result = checks.check_lambda_concurrency(settings(), FakeReads(limit=400))
    assert result.verdict is Verdict.FAIL
    assert "account limit 400 is below the stack's assumed quota (1000)" in result.detail
    assert "request 1000 or more" in result.fix
    assert "set lambda_concurrency_quota = 400" in result.fix


def test_an_account_of_50_fails_with_the_quota_request() -> None:
    result = checks.check_lambda_concurrency(settings(), FakeReads(limit=50))
    assert result.verdict is Verdict.FAIL
    assert "L-B99A9384" in result.fix


def test_the_api_gateway_rate_below_the_stages_throttle_fails() -> None:
    fast = settings(sizing=sizing(api_throttling_rate_limit=20000.0))
    result = checks.check_apigateway_rate(fast, FakeReads())
    assert result.verdict is Verdict.FAIL
    assert "L-8A5B8E43" in result.fix


def test_a_quota_service_quotas_does_not_answer_is_not_checked_never_failed() -> None:
    result = checks.check_apigateway_rate(settings(), FakeReads(quotas={}))
    assert result.verdict is Verdict.NOT_CHECKED
    assert "NoSuchResourceException" in result.line()


def test_kinesis_needs_room_for_the_stream_in_its_mode() -> None:
    full = FakeReads(kinesis=KinesisLimits(20000, 0, 50, 50))
    assert checks.check_kinesis(settings(), full).verdict is Verdict.FAIL
    provisioned = settings(sizing=sizing(stream_mode="PROVISIONED", stream_shard_count=8))
    assert checks.check_kinesis(provisioned, FakeReads(kinesis=KinesisLimits(10, 4, 0, 50))).verdict is Verdict.FAIL
    assert checks.check_kinesis(provisioned, FakeReads(kinesis=KinesisLimits(10, 2, 0, 50))).verdict is Verdict.PASS


def test_snapstart_fails_where_lambda_does_not_offer_it() -> None:
    result = checks.check_snapstart(settings(region="ap-east-2", sizing=sizing(api_snapstart=True)), FakeReads())
    assert result.verdict is Verdict.FAIL
    assert "api_snapstart = false" in result.fix
    assert checks.check_snapstart(settings(sizing=sizing(api_snapstart=True)), FakeReads()).verdict is Verdict.PASS


def test_waf_fails_where_its_regional_endpoint_does_not_answer() -> None:
    gone = FakeReads(errors={"list_regional_web_acls": ReadError("EndpointConnectionError", "no endpoint")})
    result = checks.check_waf(settings(waf=True), gone)
    assert result.verdict is Verdict.FAIL
    assert "waf_enabled = false" in result.fix
    assert checks.check_waf(settings(waf=False), gone).verdict is Verdict.PASS


def test_a_failing_line_carries_its_fix() -> None:
    line = checks.check_cloudwatch_role(settings(), FakeReads(role=None)).line()
    assert line.startswith("FAIL ")
    assert " -> fix: " in line


def test_an_account_that_cannot_be_reached_stops_the_other_reads() -> None:
    unreachable = FakeReads(errors={"caller_account": ReadError("EndpointConnectionError", "could not connect")})
    results = checks.run_checks(settings(waf=True), unreachable)
    assert results[0].verdict is Verdict.FAIL
    assert "aws sts get-caller-identity" in results[0].fix
    assert [(r.name, r.verdict) for r in results[1:]] == [("the other checks", Verdict.NOT_CHECKED)]

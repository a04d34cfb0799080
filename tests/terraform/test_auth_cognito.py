"""Deploy the `local` root with prod's settings and auth_mode = "cognito" to a local cloud and call it with tokens.

A local cloud of its own (``localcloud up`` on a free port, its state in a temporary directory,
never a developer's on 4566) gets the whole stack from `terraform apply`, with the local root's
settings and ``auth_mode = "cognito"`` on top. Then, through both gateways:

- a missing token, an expired one (signed with the pool's key), one signed by another key, one of
  another user pool, and one without the operation's scope are each refused by API Gateway's user
  pool authorizer with 401 in the contract's Error schema, and the function never sees them;
- a token from the token endpoint (client-credentials grant, the client's secret read from
  Cognito, never from an output) is accepted: 201, and the event reads back with a read token;
- the API key stays required beside the token (403 without it);
- two machine clients sending one Idempotency-Key get two events (keys are per caller, the caller
  being the token's ``sub``), and each client's retry is its own replay.

The Lambda zip comes from $LAMBDA_ZIP (default build/lambda/deployment.zip; `make build`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
import requests
import yaml
from joserfc import jwt
from joserfc.jwk import RSAKey

from localcloud.testing import free_port
from tests.terraform.runner import emulator_client, init_args, lambda_zip, run_terraform, terraform_env

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ENV_DIR = ROOT / "terraform" / "envs" / "local"
PROD_TFVARS = ROOT / "terraform" / "envs" / "prod" / "terraform.tfvars"
LOCALCLOUD = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "localcloud"
REGION = "us-east-1"
STEP_TIMEOUT = 900  # seconds; a healthy apply takes a fraction of this
TOKEN_PATH = "/_aws/cognito-idp/oauth2/token"
EVENT = {"type": "order.created", "subject": "auth-1", "source": "auth-test", "data": {"n": 1}}


@dataclass
class Stack:
    endpoint: str
    outputs: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return emulator_client(service, self.endpoint, REGION)

    @property
    def gateways(self) -> dict[str, str]:
        stage = self.outputs["stage_name"]
        return {
            name: f"{self.endpoint}/restapis/{self.outputs[f'{name}_api_id']}/{stage}/_user_request_"
            for name in ("edge", "regional")
        }

    def secret(self, client_id: str) -> str:
        described = self.client("cognito-idp").describe_user_pool_client(
            UserPoolId=self.outputs["cognito_user_pool_id"], ClientId=client_id
        )
        secret: str = described["UserPoolClient"]["ClientSecret"]
        return secret

    def token(self, client_id: str, secret: str, scope: str | None = None) -> str:
        form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        response = requests.post(f"{self.endpoint}{TOKEN_PATH}", data=form, auth=(client_id, secret), timeout=10)
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def post(self, gateway: str, token: str | None, key: str | None = None, **headers: str) -> requests.Response:
        sent = {"content-type": "application/json", "x-api-key": self.outputs["api_key"] if key is None else key}
        if token is not None:
            sent["Authorization"] = token
        sent.update(headers)
        return requests.post(f"{self.gateways[gateway]}/v1/events", data=json.dumps(EVENT), headers=sent, timeout=30)


def _localcloud(*args: str) -> None:
    subprocess.run([str(LOCALCLOUD), *args], check=True, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (Terraform >= 1.10 is needed).")
    zip_path = lambda_zip(ROOT)
    workdir = tmp_path_factory.mktemp("terraform-cognito")
    port = str(free_port())
    cloud = ("--port", port, "--state-dir", str(workdir / "cloud"))
    endpoint = f"http://127.0.0.1:{port}"
    env = terraform_env(endpoint, workdir, REGION)
    env["TF_VAR_lambda_zip_path"] = str(zip_path)
    # prod's settings on top of the local root's (its emulator workarounds and region logging role
    # stay, prod's file naming neither), so prod's shape (WAF, reservations, retention) meets the
    # local cloud's AWS rules; then the local name (the account guard lets only the local
    # environment go without account ids) and cognito: the local root's terraform.tfvars says
    # api_key, and tfvars outrank TF_VAR_ variables; a later -var-file wins.
    overrides = workdir / "cognito.tfvars.json"
    overrides.write_text(json.dumps({"environment": "local", "auth_mode": "cognito"}))
    for command in ("plan", "apply"):
        env[f"TF_CLI_ARGS_{command}"] = f"-var-file={PROD_TFVARS} -var-file={overrides}"
    lock_file = ENV_DIR / ".terraform.lock.hcl"
    had_lock_file = lock_file.exists()
    timings: dict[str, float] = {}
    _localcloud("up", *cloud)
    try:
        run_terraform(ENV_DIR, env, timings, *init_args(workdir), timeout=STEP_TIMEOUT, step="init")
        run_terraform(
            ENV_DIR,
            env,
            timings,
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            timeout=STEP_TIMEOUT,
            step="apply",
        )
        raw = run_terraform(ENV_DIR, env, timings, "output", "-json", "-no-color", timeout=STEP_TIMEOUT).stdout
        yield Stack(endpoint, {k: v["value"] for k, v in json.loads(raw).items()}, timings)
    finally:
        subprocess.run([str(LOCALCLOUD), "down", *cloud], capture_output=True, check=False, timeout=60)
        if not had_lock_file:
            lock_file.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def error_schema() -> Any:
    contract = yaml.safe_load((ROOT / "contracts" / "openapi.yaml").read_text())
    return fastjsonschema.compile(contract["components"]["schemas"]["Error"])


@pytest.fixture(scope="module")
def write_token(stack: Stack) -> str:
    client_id = stack.outputs["cognito_client_id"]
    return stack.token(client_id, stack.secret(client_id), "events/write")


def _other_pool_token(stack: Stack) -> str:
    """A valid token of another user pool in the same cloud, with the same scope names."""
    idp = stack.client("cognito-idp")
    pool = idp.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:8]}")["UserPool"]
    idp.create_resource_server(
        UserPoolId=pool["Id"],
        Identifier="events",
        Name="events",
        Scopes=[{"ScopeName": "write", "ScopeDescription": "w"}],
    )
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="other",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["events/write"],
    )["UserPoolClient"]
    return stack.token(client["ClientId"], client["ClientSecret"])


def _signed(stack: Stack, key: RSAKey, **overrides: Any) -> str:
    now = int(time.time())
    client_id = stack.outputs["cognito_client_id"]
    claims = {
        "sub": client_id,
        "client_id": client_id,
        "token_use": "access",
        "scope": "events/read events/write",
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{stack.outputs['cognito_user_pool_id']}",
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
        "version": 2,
        **overrides,
    }
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key, algorithms=["RS256"])


def _pool_key() -> RSAKey:
    """The key moto signs every user pool's tokens with; it ships inside moto (see localcloud/README.md)."""
    from moto.utilities.utils import load_resource

    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


@pytest.fixture(scope="module")
def refused_tokens(stack: Stack) -> dict[str, str | None]:
    client_id = stack.outputs["cognito_client_id"]
    now = int(time.time())
    return {
        "missing": None,
        "expired": _signed(stack, _pool_key(), iat=now - 7200, exp=now - 3600),
        "signed_by_another_key": _signed(stack, RSAKey.generate_key(2048, parameters={"kid": "dummy"})),
        "of_another_pool": _other_pool_token(stack),
        "without_the_write_scope": stack.token(client_id, stack.secret(client_id), "events/read"),
    }


# -- what a client needs -----------------------------------------------------------------------------


def test_outputs_say_how_to_get_a_token_and_hold_no_secret(stack: Stack) -> None:
    outputs = stack.outputs
    assert outputs["auth_mode"] == "cognito"
    assert outputs["cognito_token_url"].endswith(".amazoncognito.com/oauth2/token")
    assert sorted(outputs["cognito_scopes"]) == ["events/read", "events/write"]
    assert stack.secret(outputs["cognito_client_id"]) not in json.dumps(outputs)


# -- refused ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gateway", ["regional", "edge"])
@pytest.mark.parametrize(
    "case", ["missing", "expired", "signed_by_another_key", "of_another_pool", "without_the_write_scope"]
)
def test_a_refused_token_is_401_in_the_error_schema(
    stack: Stack, refused_tokens: dict[str, str | None], error_schema: Any, gateway: str, case: str
) -> None:
    response = stack.post(gateway, refused_tokens[case])
    assert response.status_code == 401, response.text
    body = response.json()
    error_schema(body)
    assert body["error"]["code"] == "Unauthorized"
    assert body["error"]["request_id"] == response.headers["x-amzn-RequestId"]


def test_the_api_key_stays_required(stack: Stack, write_token: str, error_schema: Any) -> None:
    response = stack.post("regional", write_token, key="not-a-key")
    assert response.status_code == 403
    error_schema(response.json())


# -- accepted --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("gateway", ["regional", "edge"])
def test_a_valid_token_is_accepted(stack: Stack, write_token: str, gateway: str) -> None:
    created = stack.post(gateway, write_token)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    client_id = stack.outputs["cognito_client_id"]
    read_token = stack.token(client_id, stack.secret(client_id), "events/read")
    read = requests.get(
        f"{stack.gateways[gateway]}/v1/events/{event_id}",
        headers={"x-api-key": stack.outputs["api_key"], "Authorization": f"Bearer {read_token}"},
        timeout=30,
    )
    assert read.status_code == 200, read.text
    assert read.json()["id"] == event_id


def test_idempotency_keys_are_per_client(stack: Stack, write_token: str) -> None:
    idp = stack.client("cognito-idp")
    other = idp.create_user_pool_client(
        UserPoolId=stack.outputs["cognito_user_pool_id"],
        ClientName="second-machine",
        GenerateSecret=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["events/write"],
    )["UserPoolClient"]
    other_token = stack.token(other["ClientId"], other["ClientSecret"])
    key = {"Idempotency-Key": f"auth-{uuid.uuid4()}"}
    first = stack.post("regional", write_token, **key)
    second = stack.post("regional", other_token, **key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    again = stack.post("regional", write_token, **key)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])

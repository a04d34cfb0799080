"""A new function is Pending until the local cloud has unpacked its code, then Active (as on AWS):
CreateFunction answers at once, Invoke refuses a Pending function with AWS's error."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.testing import Cloud, wait_until_active


@pytest.fixture
def held_activation(cloud: Cloud, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Activation waits for the returned event: the function stays Pending until the test sets it."""
    release = threading.Event()
    prepare = cloud.server.executor.prepare

    def slow_prepare(fn: Any) -> None:
        release.wait(10)
        prepare(fn)

    monkeypatch.setattr(cloud.server.executor, "prepare", slow_prepare)
    return release


def create(cloud: Cloud, name: str) -> dict[str, Any]:
    response: dict[str, Any] = cloud.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=cloud.role(),
        Handler="echo.handler",
        Code={"ZipFile": cloud.zip("echo")},
    )
    return response


def test_a_new_function_is_pending_and_refuses_invocations_until_it_is_active(
    cloud: Cloud, held_activation: threading.Event
) -> None:
    lambda_ = cloud.client("lambda")
    created = create(cloud, "pending-echo")
    assert created["State"] == "Pending"
    config = lambda_.get_function_configuration(FunctionName="pending-echo")
    assert (config["State"], config["StateReasonCode"]) == ("Pending", "Creating")
    with pytest.raises(ClientError) as refused:
        lambda_.invoke(FunctionName="pending-echo", Payload=b"{}")
    assert refused.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "currently in the following state: Pending" in refused.value.response["Error"]["Message"]

    held_activation.set()
    wait_until_active(lambda_, "pending-echo")
    config = lambda_.get_function_configuration(FunctionName="pending-echo")
    assert "StateReasonCode" not in config
    assert lambda_.invoke(FunctionName="pending-echo", Payload=b"{}")["StatusCode"] == 200


def test_activation_unpacks_the_code_so_the_first_invocation_need_not(cloud: Cloud) -> None:
    create(cloud, "ready-echo")
    wait_until_active(cloud.client("lambda"), "ready-echo")
    code_dir = cloud.server.settings.code_dir
    assert [p.name for p in code_dir.iterdir() if not p.name.startswith(".")]  # unpacked before any invocation
    assert cloud.server.executor.worker_count() == 0

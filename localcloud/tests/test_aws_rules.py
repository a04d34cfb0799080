"""The rules' switch: on while a local cloud runs in the process (unless its settings turn them off),
off once it stops, and suspended for a test that needs moto's own behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from localcloud import aws_rules
from localcloud.settings import Settings
from localcloud.testing import Cloud


def test_the_rules_hold_while_a_cloud_runs_with_its_account(cloud: Cloud) -> None:
    assert aws_rules.active()
    assert aws_rules.account() == aws_rules.Account(lambda_concurrency_limit=Settings.lambda_concurrency_limit)


def test_a_cloud_started_with_the_rules_off_keeps_mosts_behaviour(tmp_path: Path) -> None:
    from localcloud.server import LocalCloud  # moto loads for this test only

    local = LocalCloud(Settings(port=0, state_dir=tmp_path, prewarm=False, persist=False, aws_rules=False))
    local.start()
    try:
        assert not aws_rules.active()
    finally:
        local.stop()


def test_a_stopped_cloud_leaves_the_rules_off(tmp_path: Path) -> None:
    from localcloud.server import LocalCloud  # moto loads for this test only

    local = LocalCloud(Settings(port=0, state_dir=tmp_path, prewarm=False, persist=False))
    local.start()
    assert aws_rules.active()
    local.stop()
    assert not aws_rules.active()


def test_suspended_gives_the_rules_back_as_they_were(cloud: Cloud) -> None:
    with aws_rules.suspended():
        assert not aws_rules.active()
    assert aws_rules.active()


def test_suspending_rules_that_are_off_leaves_them_off() -> None:
    assert not aws_rules.active()  # no cloud runs in this test
    with aws_rules.suspended():
        pass
    assert not aws_rules.active()


def test_the_setting_turns_the_rules_off_and_sets_the_accounts_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALCLOUD_AWS_RULES", "0")
    monkeypatch.setenv("LOCALCLOUD_LAMBDA_CONCURRENCY_LIMIT", "50")
    settings = Settings.from_env()
    assert (settings.aws_rules, settings.lambda_concurrency_limit) == (False, 50)
    monkeypatch.setenv("LOCALCLOUD_LAMBDA_CONCURRENCY_LIMIT", "0")
    with pytest.raises(ValueError, match="LOCALCLOUD_LAMBDA_CONCURRENCY_LIMIT must be at least 1"):
        Settings.from_env()

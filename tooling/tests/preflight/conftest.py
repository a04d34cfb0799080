"""Preflight's tests: fakes of the reads for each check's verdict, and local clouds in this process.

``local_settings`` and ``dev_settings`` ask Terraform once per session for a root's settings (the slow
part: an ``init`` and three ``console`` runs); ``account`` starts a local cloud as a fresh AWS account would be
(a new account's Lambda concurrency limit, or the one a test names) and points boto3's default chain
at it with ``AWS_ENDPOINT_URL``, as ``make preflight ENV=local`` does.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest

from cloud_fixtures import no_real_account
from localcloud.settings import Settings
from localcloud.testing import Cloud, running_cloud
from tooling.preflight.settings import EnvSettings, read_settings
from tooling.repository import ROOT

__all__ = ["no_real_account"]

PLUGIN_DIR = Path("/opt/tf-plugins")
FUNCTIONS = ROOT / "localcloud" / "tests" / "functions"


def terraform_settings(env: str, work_dir: Path, backend: Path | None = None) -> EnvSettings:
    return read_settings(env, ROOT, work_dir, backend, PLUGIN_DIR if PLUGIN_DIR.is_dir() else None)


# moto's account: the one the local cloud answers GetCallerIdentity with, for any credentials.
LOCAL_ACCOUNT = "123456789012"


@pytest.fixture(scope="session")
def local_settings(tmp_path_factory: pytest.TempPathFactory) -> EnvSettings:
    return terraform_settings("local", tmp_path_factory.mktemp("tfeval") / "local")


@pytest.fixture(scope="session")
def dev_settings(tmp_path_factory: pytest.TempPathFactory) -> EnvSettings:
    """The dev root as the nightly workflow sets it (TF_VAR_allowed_account_ids), naming the local cloud's
    account; each test gives it the backend config it needs."""
    with mock.patch.dict(os.environ, {"TF_VAR_allowed_account_ids": f'["{LOCAL_ACCOUNT}"]'}):
        return terraform_settings("dev", tmp_path_factory.mktemp("tfeval") / "dev")


@contextlib.contextmanager
def fresh_account(tmp: Path, lambda_concurrency_limit: int = Settings.lambda_concurrency_limit) -> Iterator[Cloud]:
    """A local cloud on a free port with fresh moto state, as a new account with this concurrency limit."""
    with contextlib.ExitStack() as started:
        cloud = started.enter_context(running_cloud(tmp, FUNCTIONS, lambda_concurrency_limit=lambda_concurrency_limit))
        started.enter_context(mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL": cloud.endpoint_url}))
        yield cloud


@pytest.fixture
def account(tmp_path: Path) -> Callable[..., contextlib.AbstractContextManager[Cloud]]:
    def start(
        lambda_concurrency_limit: int = Settings.lambda_concurrency_limit,
    ) -> contextlib.AbstractContextManager[Cloud]:
        return fresh_account(tmp_path, lambda_concurrency_limit)

    return start

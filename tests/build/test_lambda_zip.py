"""The service's own zip, built as `make build` builds it: what Lambda will run."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from tooling.build.lambda_zip import build
from tooling.build.reproducible_zip import architecture_ties
from tooling.repository import APP_DIR


@pytest.fixture(scope="module")
def service_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("service-zip")
    build(APP_DIR, out)
    return out


def test_the_zip_is_architecture_neutral(service_build: Path) -> None:
    """One zip serves arm64 and x86_64 environments only while nothing in it is compiled."""
    ties = architecture_ties((service_build / "deployment.zip").read_bytes())
    assert ties == {}, "packages that tie the zip to one architecture: " + "; ".join(
        f"{package} ({', '.join(found)})" for package, found in ties.items()
    )


def test_the_zip_is_built_for_the_lambda_runtime_and_graviton(service_build: Path) -> None:
    manifest = json.loads((service_build / "manifest.json").read_text())
    assert manifest["python_runtime"] == f"python{sys.version_info.major}.{sys.version_info.minor}" == "python3.13"
    assert manifest["architecture"] == "arm64"
    with zipfile.ZipFile(service_build / "deployment.zip") as zf:
        names = set(zf.namelist())
    assert {"app.py", "chalicelib/openapi.json", "aws_lambda_powertools/__init__.py"} <= names
    assert not [name for name in names if name.startswith(("boto3/", "botocore/"))]

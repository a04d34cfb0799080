"""The repository the tools work on, and how a tool runs the service's own code in its process.

The package is installed editable from this repository (requirements/dev.txt: ``-e ./tooling``), so
the repository's root is found from this file (``tooling/src/tooling/repository.py``). Every path a
tool defaults to is named here, once.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
APP_DIR = ROOT / "chalice_app"
CONTRACT = ROOT / "contracts" / "openapi.yaml"
SCHEMATHESIS_CONFIG = ROOT / "schemathesis.toml"
TERRAFORM_MODULES = ROOT / "terraform" / "modules"
BUILD_DIR = ROOT / "build"


def import_service_code(app_dir: Path = APP_DIR) -> None:
    """Make the service's modules (``app``, ``chalicelib``) importable in this process.

    The service is deployed code (a Chalice project), not an installed distribution: the Lambda
    runtime puts the function's code first on ``sys.path``, and so does a tool that runs that code
    in its own process (``make replay-failures``, the bench's in-process requests and its event
    factory). This is the only place the package puts a directory on ``sys.path``; the others are
    the Lambda-like child processes that run the unpacked zip (``bench.handler_child``, the
    build's handler check, the bench's import timing).
    """
    path = str(app_dir.resolve())
    if path not in sys.path:
        sys.path.insert(0, path)

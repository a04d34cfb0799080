"""Build the Lambda deployment zip reproducibly (``make build``).

    python -m tooling.build --app chalice_app --out build/lambda [--stage dev]

Steps, and why each exists:

1. Copy the app (app.py, chalicelib/, vendor/, .chalice/ config, and its
   requirements.lock as the requirements.txt Chalice reads) into a temporary
   staging directory (``staging``). Chalice caches its
   dependency zip in ``<project>/.chalice/deployments/`` under a hash that
   includes app.py and chalicelib/, so packaging in place would add a ~1 MB
   file to the app directory on every code change, and it would also pick up
   stray ``__pycache__`` directories left there by tests.
2. Make the runtime wheels available offline (``staging``). Because Chalice's
   cache key includes the app code, Chalice runs ``pip download`` again after
   every code change. That needs PyPI, and it could also pick up a different
   transitive version. Instead we keep a wheelhouse keyed by the lock, the
   runtime and the architecture. We fill it once (this needs PyPI or a mirror
   set with PIP_INDEX_URL), every file checked against the lock's hashes, then
   point Chalice's pip at it with PIP_NO_INDEX/PIP_FIND_LINKS; it checks the
   same hashes again. Later builds are offline and always use the same wheel
   files.
3. Run ``chalice package`` with this interpreter (``chalice_package``). We keep
   only its deployment.zip. Its CloudFormation template is discarded because
   Terraform owns the infrastructure.
4. Re-pack the zip deterministically (``reproducible_zip``): entries sorted, one
   fixed timestamp, 0644/0755 modes, no directory entries, no bytecode, one
   compression level. Two builds of the same tree then give the same sha256,
   so Terraform sees no change. Outputs are written atomically and only when
   their content changes, so make's mtime checks stay meaningful.
5. Import the packaged app (from the extracted zip, in a subprocess) to list
   the Lambda handler strings it provides (handlers.json, ``chalice_package``).
   This also smoke-tests that the zip is importable. Then write manifest.json
   (``lambda_zip``, which runs the steps in order; ``__main__`` is the command line).

What every step shares is here: the error type, the progress log and how child processes run.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


class BuildError(Exception):
    """A build step failed; the message says what to do about it."""


class Log:
    """Progress goes to stderr, so stdout carries only the summary line."""

    def __init__(self, verbose: bool) -> None:
        self._verbose = verbose

    def __call__(self, message: str) -> None:
        print(f"build: {message}", file=sys.stderr)

    def verbose(self, message: str) -> None:
        if self._verbose and message:
            print(message, file=sys.stderr)


def run(
    cmd: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a build step's child process to completion, its output captured as text."""
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)

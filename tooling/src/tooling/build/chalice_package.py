"""Steps 3 and 5 of the build: ``chalice package`` in a sandbox, and the handlers the packaged app defines.

Both run child processes with inert AWS settings, so neither can reach a real account. The
handler check imports the app from the extracted zip, the zip first on ``sys.path`` as in
Lambda, and fails the build when the app needs a package only the build's virtualenv has.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from tooling.build import BuildError, Log, run

# Placeholder credentials for child processes that must never use real ones.
DUMMY_CREDENTIAL = "build"


def sandboxed_aws_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with AWS settings replaced by inert fixed ones.

    ``chalice package`` makes no AWS call. Still, it builds a boto3 client to
    learn the region, and that client resolves credentials. A developer's
    profile (SSO refresh) or the EC2 metadata probe would then make an
    offline build slow or make it fail. The region and account only reach
    the template we discard, so fixed dummy values change nothing in the zip.
    The packaged app is imported with the same settings, so its import code
    cannot touch a real account either.
    """
    env = {k: v for k, v in environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID=DUMMY_CREDENTIAL,
        AWS_SECRET_ACCESS_KEY=DUMMY_CREDENTIAL,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def chalice_version() -> str:
    return importlib.metadata.version("chalice")


def run_chalice_package(staging: Path, stage: str, out_dir: Path, env: Mapping[str, str], log: Log) -> Path:
    """Run ``chalice package`` with this interpreter and return its zip.

    ``-c 'from chalice.cli import main'`` rather than a ``chalice`` script on
    PATH: it guarantees the same venv, so Chalice's pip subprocess
    (``sys.executable -m pip``) is this venv's pip too.
    """
    cmd = [
        sys.executable,
        "-c",
        "import sys; from chalice.cli import main; sys.exit(main())",
        "package",
        "--stage",
        stage,
        str(out_dir),
    ]
    proc = run(cmd, cwd=staging, env=env)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise BuildError(f"chalice package failed (exit {proc.returncode}):\n{output}")
    log.verbose(output)
    # Chalice only warns and carries on when a dependency could not be
    # installed; a zip without it would fail at import time in Lambda.
    if "Could not install dependencies" in output:
        raise BuildError(f"chalice package could not install every dependency:\n{output}")
    zip_path = out_dir / "deployment.zip"
    if not zip_path.is_file():
        raise BuildError(f"chalice package wrote no deployment.zip:\n{output}")
    return zip_path


# Packages the Lambda Python runtime itself provides (the AWS SDK and its
# dependencies). The zip may leave them out. Any other package that the app
# imports from the build venv instead of the zip would be missing in Lambda.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"})

# Run in a subprocess with cwd = the extracted zip. Importing an app runs its
# module-level code, so we keep that out of this process. The zip comes first
# on sys.path, so this imports what Lambda will import. Packages that only
# the build venv provides are then reported, not silently used. Writes
# {name: handler_string} to argv[1].
_HANDLERS_CHILD = r"""
import contextlib, importlib, json, os, sys, sysconfig
root = os.path.realpath(".")
sys.path.insert(0, root)
venv_dirs = {os.path.realpath(sysconfig.get_paths()[k]) + os.sep for k in ("purelib", "platlib")}
provided = set(json.loads(sys.argv[2]))
# The SDK is the runtime's: whatever it pulls in (certifi, optionally, by
# botocore.httpsession) is there in Lambda too, so load it before the snapshot.
for sdk_module in ("boto3", "botocore.httpsession"):
    with contextlib.suppress(ImportError):
        importlib.import_module(sdk_module)
before = set(sys.modules)
with contextlib.redirect_stdout(sys.stderr):
    module = importlib.import_module("app")
leaked = set()
for name, mod in list(sys.modules.items()):
    origin = getattr(mod, "__file__", None)
    if name in before or not origin:
        continue
    origin = os.path.realpath(origin)
    if any(origin.startswith(d) for d in venv_dirs) and name.partition(".")[0] not in provided:
        leaked.add(name.partition(".")[0])
if leaked:
    sys.exit("the zip lacks " + ", ".join(sorted(leaked)) + ": the app imported them from the build venv "
             "(add them to requirements.txt, or vendor them)")
app = module.app
found = []
if app.routes:
    found.append(("api", "app.app"))
for fn in app.pure_lambda_functions:
    found.append((fn.name, fn.handler_string))
for src in app.event_sources:
    found.append((src.name, src.handler_string))
for auth in app.builtin_auth_handlers:
    found.append((auth.name, auth.handler_string))
handlers = {}
for name, handler in found:
    if name in handlers:
        sys.exit(f"two Lambda functions are both named {name!r}")
    mod_name, _, attr = handler.rpartition(".")
    if not hasattr(importlib.import_module(mod_name), attr):
        sys.exit(f"handler {handler!r} of {name!r} does not resolve in the package")
    handlers[name] = handler
with open(sys.argv[1], "w") as fh:
    json.dump(handlers, fh)
"""


def discover_handlers(zip_bytes: bytes, env: Mapping[str, str]) -> dict[str, str]:
    """List the Lambda handlers the packaged app defines (see _HANDLERS_CHILD).

    The key is the Lambda name as Chalice knows it (``name=`` or the function
    name) and the value is the handler string Terraform must set. "api" is
    the REST handler ``app.app`` and is present when the app has routes.
    """
    with tempfile.TemporaryDirectory(prefix="build-lambda-handlers-") as tmp:
        root = Path(tmp) / "task"
        root.mkdir()
        result_file = Path(tmp) / "handlers.json"
        zip_file = Path(tmp) / "deployment.zip"
        zip_file.write_bytes(zip_bytes)
        with zipfile.ZipFile(zip_file) as zf:
            zf.extractall(root)
        # Nothing here may reach AWS: with fake credentials, no metadata
        # lookups and no custom endpoint, a stray client call at import time
        # fails fast and cannot touch a real account.
        child_env = sandboxed_aws_env(env)
        child_env["PYTHONDONTWRITEBYTECODE"] = "1"
        provided = json.dumps(sorted(RUNTIME_PROVIDED))
        proc = run([sys.executable, "-c", _HANDLERS_CHILD, str(result_file), provided], cwd=root, env=child_env)
        if proc.returncode != 0:
            raise BuildError(
                "importing the packaged app failed, so the zip would not start in Lambda either:\n"
                + (proc.stderr or proc.stdout).strip()
            )
        loaded = json.loads(result_file.read_text())
    return {str(k): str(v) for k, v in sorted(loaded.items())}

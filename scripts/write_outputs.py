"""Write build/<env>/outputs.json from `terraform output` and print how to call the API.

outputs.json is the interface the integration and contract tests read: at least
edge_api_url, regional_api_url (base URLs reachable from this machine),
api_key, aws_endpoint_url (empty for real AWS) and region, plus every other
stack output. Against an emulator (AWS_ENDPOINT_URL set), API URLs take
LocalStack's path form, which the local cloud and LocalStack both serve, and so
does the user pool's token endpoint (auth_mode cognito).

The file holds the API key, so it is readable by its owner alone from the first
byte: it is written to a temporary file that is created 0600 beside it and then
renamed over it (a file already there, whatever its mode, is replaced, not
rewritten). What `make deploy` prints ends up in terminals and CI logs, so the key
is never printed: the example `curl` reads it from the file when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def terraform_outputs(env_dir: Path) -> dict[str, Any]:
    raw = subprocess.run(
        ["terraform", f"-chdir={env_dir}", "output", "-json"], check=True, capture_output=True, text=True
    ).stdout
    return {name: entry["value"] for name, entry in json.loads(raw).items()}


def emulator_url(endpoint: str, api_id: str, stage: str) -> str:
    return f"{endpoint.rstrip('/')}/restapis/{api_id}/{stage}/_user_request_"


def build_outputs(tf: dict[str, Any], endpoint: str) -> dict[str, Any]:
    outputs = dict(tf)
    outputs["aws_endpoint_url"] = endpoint
    if endpoint:
        outputs["edge_api_url"] = emulator_url(endpoint, tf["edge_api_id"], tf["stage_name"])
        outputs["regional_api_url"] = emulator_url(endpoint, tf["regional_api_id"], tf["stage_name"])
        if tf.get("cognito_token_url"):
            outputs["cognito_token_url"] = f"{endpoint.rstrip('/')}/_aws/cognito-idp/oauth2/token"
    return outputs


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, readable and writable by the owner only, never wider, never partial."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 (and the umask can only narrow that); the rename is atomic.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def api_key_command(outputs_file: Path) -> str:
    """A shell command that prints the API key from outputs.json (Python alone: no jq needed)."""
    program = 'import json, sys; print(json.load(open(sys.argv[1]))["api_key"])'
    return f"python3 -c {shlex.quote(program)} {shlex.quote(str(outputs_file))}"


def usage(outputs: dict[str, Any], outputs_file: Path) -> list[str]:
    """What `make deploy` prints: where things are and a ready-to-paste curl, the key read at run time."""
    regional = outputs["regional_api_url"]
    body = '{"type":"order.created","subject":"order-1","source":"curl","data":{}}'
    return [
        f"outputs: {outputs_file} (owner-only: it holds the API key)",
        f"edge API:     {outputs['edge_api_url']}",
        f"regional API: {regional}",
        f"API key (not printed): {api_key_command(outputs_file)}",
        "try:",
        f"  curl -s {regional}/health",
        f"  curl -s -X POST {regional}/v1/events -H 'content-type: application/json' "
        f'-H "x-api-key: $({api_key_command(outputs_file)})" -d {shlex.quote(body)}',
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env-dir", type=Path, required=True, help="the Terraform root, e.g. terraform/envs/local")
    parser.add_argument("--out", type=Path, required=True, help="where to write outputs.json")
    args = parser.parse_args()

    outputs = build_outputs(terraform_outputs(args.env_dir), os.environ.get("AWS_ENDPOINT_URL", ""))
    write_private(args.out, json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    print("\n".join(usage(outputs, args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

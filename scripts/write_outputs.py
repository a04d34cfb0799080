"""Write build/<env>/outputs.json from `terraform output` and print how to call the API.

outputs.json is the interface the integration and contract tests read: at least
edge_api_url, regional_api_url (base URLs reachable from this machine),
api_key, aws_endpoint_url (empty for real AWS) and region, plus every other
stack output. Against an emulator (AWS_ENDPOINT_URL set), API URLs take
LocalStack's path form, which the local cloud and LocalStack both serve, and so
does the user pool's token endpoint (auth_mode cognito).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env-dir", type=Path, required=True, help="the Terraform root, e.g. terraform/envs/local")
    parser.add_argument("--out", type=Path, required=True, help="where to write outputs.json")
    args = parser.parse_args()

    outputs = build_outputs(terraform_outputs(args.env_dir), os.environ.get("AWS_ENDPOINT_URL", ""))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.chmod(0o600)  # it holds the API key
    tmp.replace(args.out)

    key = shlex.quote(str(outputs["api_key"]))
    print(f"outputs: {args.out}")
    print(f"edge API:     {outputs['edge_api_url']}")
    print(f"regional API: {outputs['regional_api_url']}")
    print("try:")
    print(f"  curl -s {outputs['regional_api_url']}/health")
    print(
        f"  curl -s -X POST {outputs['regional_api_url']}/v1/events -H 'content-type: application/json' "
        f'-H x-api-key:{key} -d \'{{"type":"order.created","subject":"order-1","source":"curl","data":{{}}}}\''
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

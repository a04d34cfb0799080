"""What no API answers about a region's features, kept as data with its source.

Lambda has no call that lists where SnapStart is offered; the stack keeps that list beside its supported
runtimes (``terraform/modules/functions/runtimes.json``: ``snapstart_unsupported_regions`` and each
runtime's ``snapstart``, from the Lambda developer guide's SnapStart page), and preflight reads the same
file, so the stack's own validation and this check cannot disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tooling.repository import TERRAFORM_MODULES

RUNTIMES_FILE = TERRAFORM_MODULES / "functions" / "runtimes.json"
SNAPSTART_SOURCE = "runtimes.json, from the Lambda developer guide's SnapStart page"


def _runtimes(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def snapstart_unavailable(region: str, runtime: str, path: Path = RUNTIMES_FILE) -> str | None:
    """Why SnapStart cannot be used for ``runtime`` in ``region``, or None when it can."""
    data = _runtimes(path)
    if region in data.get("snapstart_unsupported_regions", []):
        return f"Lambda does not offer SnapStart in {region} ({SNAPSTART_SOURCE}, checked {data.get('checked')})"
    supported = {r["identifier"] for r in data.get("python", []) if r.get("snapstart")}
    if runtime not in supported:
        return f"SnapStart is not offered for {runtime} (only {', '.join(sorted(supported))}; {SNAPSTART_SOURCE})"
    return None

"""A deployed environment as the operator tools see it: its outputs and clients for its endpoint.

``build/<env>/outputs.json`` (written by ``make deploy``) is the only input: the same tools run
against the local cloud, LocalStack or AWS. Against an emulator, ``aws_endpoint_url`` is set and
dummy credentials are used; against AWS, the caller's own credentials.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

# The local emulators serve DynamoDB Streams on the classic endpoint only.
_CLIENT_CONFIG = Config(account_id_endpoint_mode="disabled", retries={"mode": "standard", "max_attempts": 5})


class TargetError(Exception):
    """The environment cannot be reached as described; the message says what to do."""


@dataclass
class Target:
    outputs: dict[str, Any]
    _clients: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Target:
        if not path.is_file():
            raise TargetError(f"{path} does not exist: deploy first (make deploy ENV=...)")
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def output(self, name: str) -> Any:
        if name not in self.outputs:
            raise TargetError(f"outputs.json has no {name!r}: redeploy with this version of the stack")
        return self.outputs[name]

    def client(self, service: str) -> Any:
        if service not in self._clients:
            endpoint = self.outputs.get("aws_endpoint_url") or None
            extra: dict[str, Any] = {}
            if endpoint:
                extra = {"endpoint_url": endpoint, "aws_access_key_id": "test", "aws_secret_access_key": "test"}
            session = boto3.session.Session(region_name=self.output("region"))
            self._clients[service] = session.client(service, config=_CLIENT_CONFIG, **extra)  # type: ignore[call-overload]
        return self._clients[service]

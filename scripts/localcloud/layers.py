"""Finding a Lambda layer version's code in moto, for the executor."""

from __future__ import annotations

from moto.awslambda.models import lambda_backends


def resolve_layer(layer_version_arn: str) -> tuple[str, bytes] | None:
    """(sha256 hex digest, zip bytes) of a layer version ARN, None if unknown."""
    parts = layer_version_arn.split(":")
    if len(parts) < 8 or parts[5] != "layer":
        return None
    backend = lambda_backends[parts[4]][parts[3]]
    version = backend.layers_versions_by_arn(layer_version_arn)
    if version is None or not version.code_bytes:
        return None
    return version.code_digest, version.code_bytes

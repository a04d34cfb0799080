"""The service's secret keys, kept in the events table: one item per purpose and version.

Two keys: ``cursor`` signs list cursors (``cursor``), ``log`` turns subjects into the keyed hash
the handlers log instead of the subject. Each is an item ``KEY#<purpose> / <version>`` whose
``secret`` is 32 random bytes from ``os.urandom`` (Binary). Whichever function needs a key first
writes it, with a put conditional on ``attribute_not_exists(pk)``: of two cold starts racing, one
put wins and the other reads the winner's. A function reads it with one consistent GetItem per
execution environment and keeps it for the environment's life (``KeyStore`` caches it; the
components build one store per environment).

Why the table and not a secrets service or Terraform:

- **No extra endpoint or service.** The functions already reach DynamoDB, from the VPC
  environments through its free gateway endpoint; Secrets Manager or SSM would need an
  interface endpoint per subnet (paid by the hour) and another dependency in every cold start.
- **Encrypted at rest like all table data**, with the stack's customer-managed key.
- **Nothing secret passes through Terraform state** (or plans, or CI logs): Terraform never
  sees the bytes, the first function to need them makes them.
- **Rotation is a new version.** Bump the version here and deploy: the next cold start writes
  the new item. Old cursors then fail verification, a 400 the client recovers from by listing
  again; log hashes of one subject change once, at the deploy.

The key items stay out of every other path by the table's design (``repository``): their ``pk``
is neither a subject's nor an event's, so no listing, read by id or stats query reaches them;
they have no ``pending_bucket``, so the sparse pending index (and with it the reconciler) never
holds them; their ``entity`` is ``key``, so the publisher's stream filter (Terraform's and its
own, which take only ``entity = event``) drops their INSERT. IAM lets the functions that only
need the log key (publisher, consumers) touch no other item of the table through this.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import items
from chalicelib.retry import error_code

SECRET_BYTES = 32
# Hex characters of the logged subject hash: 64 bits, so two subjects practically never share one
# (a one-in-a-million chance only past some six million subjects), and short enough to read.
SUBJECT_HASH_CHARS = 16
# What a log line carries when the log key could not be read: never the subject.
HASH_UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class KeyId:
    purpose: str
    version: str

    def item_key(self) -> dict[str, Any]:
        return items.secret_key(self.purpose, self.version)


CURSOR_KEY = KeyId("cursor", "v1")
LOG_KEY = KeyId("log", "v1")


class KeyItemError(RuntimeError):
    """A key item holds no usable secret; it is never rewritten by the app, so an operator must look."""


class KeyStore:
    """Reads each key once (creating it if no function has yet) and keeps it for the store's life."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._random_bytes = random_bytes
        self._secrets: dict[KeyId, bytes] = {}

    def secret(self, key_id: KeyId) -> bytes:
        found = self._secrets.get(key_id)
        if found is None:
            found = self._secrets[key_id] = self._read_or_create(key_id)
        return found

    def subject_hash(self, subject: str) -> str:
        """The subject as logs carry it: HMAC-SHA256 under the log key, truncated.

        The same subject always gives the same hash (its lines can be found together), but the
        hash cannot be reversed or recomputed without the key. A log line must never fail the
        work it reports, so if the key cannot be read it says so (and the next line tries again).
        """
        try:
            key = self.secret(LOG_KEY)
        except (BotoCoreError, ClientError):
            return HASH_UNAVAILABLE
        return hmac.new(key, subject.encode("utf-8"), hashlib.sha256).hexdigest()[:SUBJECT_HASH_CHARS]

    def _read_or_create(self, key_id: KeyId) -> bytes:
        stored = self._read(key_id)
        if stored is not None:
            return stored
        secret = self._random_bytes(SECRET_BYTES)
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**key_id.item_key(), "entity": {"S": "key"}, "secret": {"B": secret}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return secret
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
        # Another environment wrote it between our read and our put: its secret is the key.
        stored = self._read(key_id)
        if stored is None:
            raise KeyItemError(f"key item {key_id.purpose} {key_id.version} exists but cannot be read")
        return stored

    def _read(self, key_id: KeyId) -> bytes | None:
        item = self._db.get_item(TableName=self._table, Key=key_id.item_key(), ConsistentRead=True).get("Item")
        if item is None:
            return None
        secret = item.get("secret", {}).get("B")
        if not isinstance(secret, bytes) or len(secret) < SECRET_BYTES:
            raise KeyItemError(f"key item {key_id.purpose} {key_id.version} holds no {SECRET_BYTES}-byte secret")
        return secret

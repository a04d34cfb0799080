"""moto's hot paths made cheap, with the same results.

- The server's dispatcher maps every request to a service by host name: it
  lists moto's package directory from disk (os.listdir and one isdir per
  entry, about 200) and tries every service's URL patterns, all under one
  global lock, on every request. The answer depends on the host name alone,
  so it is cached per host.
- DynamoDB TransactWriteItems deep-copies every table it touches, to roll
  back on failure. A table's copy holds all its items and every stream record
  it ever produced, so each transaction cost time in proportion to all the
  writes before it (38 ms after 200 transactions, 270 ms after 1,000). Here
  the snapshot holds only the items the transaction names, moto's whole-table
  copy is skipped for the duration of the call, and the stream records the
  transaction makes are held back until it succeeds (a failed transaction
  leaves no record, and concurrent writers' records are never touched).
- DynamoDB Query lists every item of the table, sorted by key, on every call,
  then keeps those of the queried partition (or index): a run of 2,000 events
  spent a fifth of the server's time there, growing with the table. Inside a
  Query the listing is the queried partition alone for the table, and
  unsorted for an index (moto sorts the index's matches itself afterwards).
- moto's response serializer walks botocore's shapes value by value; for an
  AttributeValue, already in wire form in moto's result, that walk is the
  largest single cost of the server (a quarter of it under load). A value of
  strings, numbers, booleans and nulls, nested in maps and lists, is written
  as it is; anything else (binary) still takes moto's path.
- The request parser walks the same shapes on the way in: every AttributeValue of a request
  (each item a transaction puts, each key and value) member by member, to hand back the same
  strings, booleans, maps and lists it was given (only binary values change: base64 is
  decoded). A plain AttributeValue is taken as it is, when the parser builds plain dicts.
- DynamoDB projections (GetItem, BatchGetItem, Query with ProjectionExpression) turn the
  whole item into Python values and back once per projected path: reading three attributes
  of 150 items a second (the chaos monitor) took a tenth of the server. A projection of
  top-level names copies those attributes as they are (as moto's own item copy does, without
  a round trip through wire form and without re-checking the size of a part of a stored item).
- An UpdateExpression is parsed twice per update (moto's request check, then the update),
  and again for every update in a transaction; the parse depends on the string alone, and
  moto's validator works on its own deep copy of it, so parses are cached by string.
- Every request lists its handler class's methods (``inspect.getmembers``) to check the
  action exists; the list depends on the class alone, so it is cached per class.
- Every lookup of a service's backends by account (a few per request, and each poll of each
  poller) takes moto's global backend lock and checks that the service is registered with ``in``
  on moto's list of every service's backends: an equality test against each of them, which
  compares their whole contents. An account already there, of a service registered (by identity),
  needs neither: moto's own path runs only for a new account or an unregistered service.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from moto.core import responses as core_responses
from moto.core.base_backend import BackendDict
from moto.core.parse import BaseJSONParser
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import method_names_from_class
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.parsing import expressions as update_expressions
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from localcloud.moto_patches.internals import registered_backends, unchecked_attributes

_local = threading.local()


# -- dispatcher ---------------------------------------------------------------------


def _cached_backend_for_host(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
        cache: dict[str | None, Any] = self.__dict__.setdefault("_localcloud_backend_by_host", {})
        if host not in cache:
            cache[host] = original(self, host)
        return cache[host]

    return get_backend_for_host


# -- backends by account ----------------------------------------------------------


def _known_accounts_first(original: Callable[[BackendDict[Any], str], None]) -> Callable[[BackendDict[Any], str], None]:
    @functools.wraps(original)
    def _create_account_specific_backend(self: BackendDict[Any], account_id: str) -> None:
        if dict.__contains__(self, account_id) and any(known is self for known in registered_backends()):
            return
        original(self, account_id)

    return _create_account_specific_backend


# -- DynamoDB transactions ----------------------------------------------------------


def _table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
    if getattr(_local, "skip_table_copies", False):
        return self
    # The default deep copy, for everything else (backups, restores).
    duplicate = cast(Table, Table.__new__(Table))
    memo[id(self)] = duplicate
    duplicate.__dict__.update(copy.deepcopy(self.__dict__, memo))
    return duplicate


@contextlib.contextmanager
def _transaction_scope() -> Iterator[list[tuple[StreamShard, Any, Any]]]:
    """While it is open, this thread's table copies are no-ops and its stream
    records are collected instead of written."""
    held: list[tuple[StreamShard, Any, Any]] = []
    _local.skip_table_copies = True
    _local.held_stream_records = held
    try:
        yield held
    finally:
        _local.skip_table_copies = False
        _local.held_stream_records = None


def _deferred_stream_add(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def add(self: StreamShard, old: Any, new: Any) -> None:
        held = getattr(_local, "held_stream_records", None)
        if held is None:
            original(self, old, new)
        else:
            held.append((self, old, new))

    return add


@dataclass
class _ItemBefore:
    table: Table
    hash_key: DynamoType
    range_key: DynamoType | None
    item: Item | None

    def restore(self) -> None:
        # moto keys items by hash key, then (with a range key) by range key.
        items: dict[Any, Any] = self.table.items
        if self.range_key is None:
            if self.item is None:
                items.pop(self.hash_key, None)
            else:
                items[self.hash_key] = self.item
        elif self.item is None:
            items.get(self.hash_key, {}).pop(self.range_key, None)
        else:
            items[self.hash_key][self.range_key] = self.item


class _Snapshot:
    """The items a transaction names, and each stream's length, before it runs."""

    def __init__(self, backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        self._items: list[_ItemBefore] = []
        for entry in transact_items:
            with contextlib.suppress(Exception):  # malformed input: moto reports it
                self._remember(backend, entry)

    def _remember(self, backend: DynamoDBBackend, entry: dict[str, Any]) -> None:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            return
        key = op["Item"] if op_type == "Put" else op["Key"]
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        current = table.get_item(hash_key, range_key)
        self._items.append(_ItemBefore(table, hash_key, range_key, copy.deepcopy(current)))

    def restore(self) -> None:
        for before in reversed(self._items):
            before.restore()


def _light_transactions(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        snapshot = _Snapshot(self, transact_items)
        with _transaction_scope() as held:
            try:
                original(self, transact_items)
            except Exception:
                # moto rolled back by putting its "copies" (now the live tables)
                # back; undo the writes it made from the snapshot instead.
                snapshot.restore()
                raise
        for shard, old, new in held:
            shard.add(old, new)

    return transact_write_items


# -- DynamoDB Query ------------------------------------------------------------------


def _scoped_query(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # Table.query(hash_key, range_comparison, range_objs, limit, exclusive_start_key,
        # scan_index_forward, projection_expressions, index_name, ...): moto's own call is positional.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        _local.query_scope = (self, None if index_name else hash_key)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _local.query_scope = None

    return query


def _scoped_all_items(original: Callable[[Table], list[Item]]) -> Callable[[Table], list[Item]]:
    @functools.wraps(original)
    def all_items(self: Table) -> list[Item]:
        scope = getattr(_local, "query_scope", None)
        if scope is None or scope[0] is not self:
            return original(self)
        hash_key = scope[1]
        buckets: Any = self.items.values() if hash_key is None else [self.items.get(hash_key, {})]
        if not self.range_key_attr:
            # Without a range key each bucket is the item itself.
            return [bucket for bucket in buckets if isinstance(bucket, Item)]
        return [item for bucket in buckets for item in bucket.values()]

    return all_items


# -- DynamoDB projections and update expressions ------------------------------------------


def _direct_projection(original: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(original)
    def project(self: Item, projection_expressions: list[list[str]]) -> Item:
        names = [path[0] for path in projection_expressions if len(path) == 1 and "[" not in path[0]]
        if len(names) != len(projection_expressions):
            return original(self, projection_expressions)  # nested paths and list indexes
        projected = cast(Item, Item.__new__(Item))
        projected.hash_key, projected.range_key = self.hash_key, self.range_key
        # As Item.__deepcopy__ does: the attributes copied, not converted to wire form and parsed
        # back, and the size check skipped (a part of a stored item is never larger than the item).
        # A missing attribute is left out, as moto's path (and DynamoDB) do.
        projected.attrs = unchecked_attributes(
            (name, copy.deepcopy(self.attrs[name])) for name in names if name in self.attrs
        )
        return projected

    return project


@functools.lru_cache(maxsize=4096)
def _parsed_update_expression(expression: str) -> Any:
    return _parse_update_expression(expression)


# moto's parser module carries no type information: its class is read from the module's namespace.
_UpdateExpressionParser: Any = vars(update_expressions)["UpdateExpressionParser"]
_parse_update_expression: Callable[[str], Any] = _UpdateExpressionParser.make


def _cached_method_names(clazz: object) -> list[str]:
    return list(_method_names_by_class(clazz))


@functools.lru_cache(maxsize=256)
def _method_names_by_class(clazz: object) -> tuple[str, ...]:
    return tuple(method_names_from_class(clazz))


# -- AttributeValue serialization -------------------------------------------------------

_PLAIN_SCALARS = frozenset({"S", "N", "BOOL", "NULL"})
_PLAIN_SETS = frozenset({"SS", "NS"})


def _is_plain_attribute(value: Any) -> bool:
    """Whether an AttributeValue in wire form holds nothing moto's serializer would transform."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    kind, inner = next(iter(value.items()))
    if kind in _PLAIN_SCALARS:
        return isinstance(inner, str | bool)
    if kind in _PLAIN_SETS:
        return isinstance(inner, list) and all(isinstance(member, str) for member in inner)
    if kind == "M":
        return isinstance(inner, dict) and all(_is_plain_attribute(member) for member in inner.values())
    if kind == "L":
        return isinstance(inner, list) and all(_is_plain_attribute(member) for member in inner)
    return False


def _attribute_as_is(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def serialize_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and _is_plain_attribute(value):
            serialized[key] = value
            return
        original(self, serialized, value, shape, key)

    return serialize_structure


def _attribute_parsed_as_is(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def parse_structure(self: BaseJSONParser, shape: Any, value: Any) -> Any:
        # Only the default dict: a service that parses into its own map type gets moto's path.
        if shape.name == "AttributeValue" and self.MAP_TYPE is dict and _is_plain_attribute(value):
            return value
        return original(self, shape, value)

    return parse_structure


_applied = threading.Lock()


def apply() -> None:
    """Install them all, once per process whoever asks (``install`` calls this after its own
    patches, so the held stream records go through its locked add; unit tests call it
    for fast transactions under mock_aws)."""
    if not _applied.acquire(blocking=False):
        return
    DomainDispatcherApplication.get_backend_for_host = _cached_backend_for_host(  # type: ignore[method-assign]
        DomainDispatcherApplication.get_backend_for_host
    )
    Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]
    StreamShard.add = _deferred_stream_add(StreamShard.add)  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = _light_transactions(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )
    Table.query = _scoped_query(Table.query)  # type: ignore[method-assign]
    Table.all_items = _scoped_all_items(Table.all_items)  # type: ignore[method-assign,assignment]
    BaseJSONSerializer._serialize_type_structure = _attribute_as_is(  # type: ignore[method-assign]
        BaseJSONSerializer._serialize_type_structure
    )
    BaseJSONParser._parse_structure = _attribute_parsed_as_is(  # type: ignore[method-assign]
        BaseJSONParser._parse_structure
    )
    Item.project = _direct_projection(Item.project)  # type: ignore[method-assign]
    _UpdateExpressionParser.make = staticmethod(_parsed_update_expression)
    # moto's dispatcher calls the name it imported into its own module, so that name is replaced.
    core_responses.method_names_from_class = _cached_method_names  # type: ignore[attr-defined]
    BackendDict._create_account_specific_backend = _known_accounts_first(  # type: ignore[method-assign,assignment]
        BackendDict._create_account_specific_backend
    )

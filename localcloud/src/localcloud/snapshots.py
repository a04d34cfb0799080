"""The local cloud's state on disk: what survives a restart, and named states a suite starts from.

**What is saved.** Every resource the local cloud holds lives in moto's backends (one
``BackendDict`` per service: accounts, regions, models): tables with their items and stream
records, queues with their messages (in flight too, with their visibility times), Kinesis
records, functions with their code, mappings, topics, APIs, roles, schedules. The local cloud's
own state that matters is kept on moto's models too, so it travels with them: a stream mapping's
checkpoint per shard (``event_sources.stream_poller``). So a snapshot is moto's backends,
pickled. What is not saved, by design: warm workers (a restart is a cold start, as a redeploy is
on AWS), fault rules (a restart starts with none), the schedules' last firing (``rate()``
counts again from the restart).

**Pickling moto.** Whatever a backend holds must save: one object plain pickle refused (SSM's
backend holds a lambda from its first call) made every later save fail, and a restart brought back
an old state. So the pickler is cloudpickle's (over the C pickler: plain data costs what it did): a
function or class that cannot be found again by its module and name (a lambda, a closure) is saved
by value, its code and what it closes over; others by name, as pickle does. Beside that, locks
(moto's and ours, on the models) are saved as new, released locks; the Lambda backend's weak index
of functions by ARN is saved with its entries, which the pickle holds strongly elsewhere; a
``defaultdict`` whose factory is a lambda making an empty dict, list or set is saved with that type
as its factory (smaller than the lambda's code), and a subclass of one is loaded without calling
its ``__init__`` (SSM's takes other arguments); a private key (KMS's asymmetric keys) is saved as
PKCS #8. What still cannot be pickled (a socket, a generator) fails the save loudly: the server
counts the failures in a row and keeps the last error (``SaveRecord``) for ``/_localcloud/health``,
which ``localcloud status`` and ``make status`` report as a failure, and a failed save leaves
``state.save-failed`` beside the state until one succeeds, which ``localcloud down`` reports.

**Loading fast.** A suite starts from a named state in well under a second, so what is costly to
unpickle and cheap to rebuild is saved small. moto builds every account's IAM with AWS's ~1,600
managed policies (half the snapshot's bytes, most of its load time); one that is as moto built it
is saved as its name, id and attachment count, and loaded as a copy of a template built once per
process from moto's own data. A DynamoDB item's attributes are a dict that checks the item's size
on every key set (quadratic per item): they are loaded as a whole, checked when they were written.
An RSA key is loaded without re-checking its own math: the snapshot wrote it from a valid key.

**Format.** A header (format number, moto and Python versions) then the backends. A snapshot
from a format this code cannot read (``READABLE_FORMATS``), another moto version or another Python
minor version is refused with a message saying which and what to do (``make local-reset``), never
half-loaded: pickled models of another moto may not match its classes.

**Writing.** To a temporary file beside the target, flushed to disk, then renamed over it: a
crash while writing leaves the previous snapshot whole. The server writes one when it stops and,
while it runs, after a change once ``snapshot_interval`` seconds have passed since the last save
(``periodic_save_due``): as soon as no request has come for ``QUIET_SECONDS``, and under unbroken
traffic at the latest after ``BUSY_INTERVALS`` intervals. A save pickles the whole state (seconds
of CPU with thousands of events), so a save every interval of a load run took a tenth of a
two-core machine from the run it would only have saved midway. Pickling tens of MB holds
the interpreter for seconds, long enough for clients to time out, so a running server saves from
a forked copy of itself (``save_in_child``): the fork is a consistent image of that instant, the
child pickles and writes it and exits, and the server goes on serving at once. The child takes
no lock and runs nothing but the pickling and the write (its error goes to the server through a
pipe, its traceback straight to file descriptor 2), so the threads the fork leaves behind cannot
block it. A crash loses what changed since the last save.
"""

from __future__ import annotations

import _thread
import contextlib
import copy
import copyreg
import functools
import gc
import io
import json
import os
import pickle
import sys
import tempfile
import threading
import time
import traceback
import warnings
import weakref
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cloudpickle  # type: ignore[import-untyped]  # it ships no type information
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from localcloud.daemon import save_failed_file
from localcloud.moto_patches.internals import (
    AWSManagedPolicy,
    LimitedSizeDict,
    aws_managed_policies_data,
    backends_by_service,
    moto_version,
    unchecked_attributes,
)

FORMAT = 2
# Format 1 lacks format 2's compact managed policies and item attributes, and reads the same.
READABLE_FORMATS = frozenset({1, 2})
PRIVATE_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)
MAX_ATTEMPTS = 5  # a backend changing size while it is pickled is tried again
# A periodic save waits for this long without a request (see the module's docstring)...
QUIET_SECONDS = 2.0
# ...but no longer than this many snapshot intervals while requests keep coming.
BUSY_INTERVALS = 10
MAX_ERROR_CHARS = 1000  # of a failed save's error, carried to the health answer and the marker file


class SnapshotError(Exception):
    """A snapshot cannot be used; the message says why and what to do."""


class SaveFailed(Exception):
    """A save did not complete (the previous snapshot is kept whole); the message is its error."""


@dataclass(frozen=True)
class Header:
    format: int
    moto: str
    python: str

    @classmethod
    def current(cls) -> Header:
        return cls(FORMAT, moto_version(), f"{sys.version_info.major}.{sys.version_info.minor}")


def _new_lock(_: Any) -> tuple[Any, tuple[()]]:
    return _thread.allocate_lock, ()


def _new_rlock(_: Any) -> tuple[Any, tuple[()]]:
    return _thread.RLock, ()


def _weak_values(mapping: weakref.WeakValueDictionary[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return weakref.WeakValueDictionary, (dict(mapping),)


def _rebuild_defaultdict(kind: type, items: dict[Any, Any]) -> defaultdict[Any, Any]:
    return defaultdict(kind, items)


def _defaultdict(mapping: defaultdict[Any, Any]) -> Any:
    factory = mapping.default_factory
    if factory is not None and getattr(factory, "__name__", "") == "<lambda>":
        empty = factory()
        if type(empty) in (dict, list, set) and not empty:
            return _rebuild_defaultdict, (type(empty), dict(mapping))
    return mapping.__reduce_ex__(pickle.HIGHEST_PROTOCOL)


def _new_defaultdict_subclass(kind: type, factory: Any, attributes: dict[str, Any]) -> Any:
    made: defaultdict[Any, Any] = defaultdict.__new__(kind)
    made.default_factory = factory
    made.__dict__.update(attributes)  # before the items: its own methods may read them
    return made


def _defaultdict_subclass(mapping: defaultdict[Any, Any]) -> Any:
    # defaultdict's own reduction calls the subclass with the factory alone, which an __init__ of
    # other arguments refuses as the snapshot loads (SSM's parameters): made without __init__.
    made_with = (type(mapping), mapping.default_factory, vars(mapping))
    return _new_defaultdict_subclass, made_with, None, None, iter(mapping.items())


def _dispatch_table() -> dict[type, Any]:
    # copyreg's reducers, then cloudpickle's own (code, cells, modules, ...) over them, then these.
    table: dict[type, Any] = {**copyreg.dispatch_table, **cloudpickle.Pickler.dispatch_table}
    table[_thread.LockType] = _new_lock
    table[_thread.RLock] = _new_rlock
    table[weakref.WeakValueDictionary] = _weak_values
    table[defaultdict] = _defaultdict
    table[LimitedSizeDict] = _item_attributes
    return table


def _load_private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)


def _load_item_attributes(attributes: dict[str, Any]) -> LimitedSizeDict:
    return unchecked_attributes(attributes.items())  # the sizes were checked when written


def _item_attributes(attributes: LimitedSizeDict) -> tuple[Any, tuple[dict[str, Any]]]:
    return _load_item_attributes, (dict(attributes),)


@functools.cache
def _managed_policy_templates() -> dict[tuple[str, str], AWSManagedPolicy]:
    """AWS's managed policies as moto builds them, by (path, name); the account and partition vary."""
    data = json.loads(aws_managed_policies_data)
    built = (AWSManagedPolicy.from_data(name, "000000000000", "us-east-1", d) for name, d in data.items())
    return {(policy.path, policy.name): policy for policy in built}


def prewarm() -> None:
    """Build what the first load needs once (the managed policies' templates), before it is asked."""
    _managed_policy_templates()


def _as_moto_built(policy: AWSManagedPolicy) -> bool:
    template = _managed_policy_templates().get((policy.path, policy.name))
    return (
        template is not None
        and not policy.tags
        and policy.default_version_id == template.default_version_id
        and [v.version_id for v in policy.versions] == [v.version_id for v in template.versions]
        and policy.update_date == template.update_date
    )


def _load_managed_policy(
    path: str, name: str, policy_id: str, attachment_count: int, account_id: str, partition: str
) -> AWSManagedPolicy:
    template = _managed_policy_templates()[(path, name)]
    policy = copy.copy(template)
    policy.versions = list(template.versions)  # its own list: a version added later stays its own
    policy.id, policy.attachment_count = policy_id, attachment_count
    policy.account_id, policy.partition = account_id, partition
    return policy


class _Pickler(cloudpickle.Pickler):  # type: ignore[misc]  # untyped: a subclass of Any
    def __init__(self, file: io.BytesIO) -> None:
        # The C pickler reads its table once, as it starts, and cloudpickle's class attribute would
        # shadow one set afterwards; a plain dict, looked up in C for every object.
        self.dispatch_table = _dispatch_table()
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is AWSManagedPolicy and _as_moto_built(obj):
            return _load_managed_policy, (
                obj.path,
                obj.name,
                obj.id,
                obj.attachment_count,
                obj.account_id,
                obj.partition,
            )
        if kind is not defaultdict and isinstance(obj, defaultdict):
            return _defaultdict_subclass(obj)
        # Only cryptography's key objects need this; the type's module is the cheap test.
        if kind.__module__.startswith("cryptography") and isinstance(obj, PRIVATE_KEY_TYPES):
            der = obj.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _load_private_key, (der,)
        # Functions and classes (by value when they cannot be found by name); else the tables above.
        return super().reducer_override(obj)


def capture() -> bytes:
    """The whole state, as bytes: the header, then every service's backends."""
    for _ in range(MAX_ATTEMPTS - 1):
        try:
            return _pickled()
        except RuntimeError:  # "changed size during iteration": a request wrote meanwhile
            continue
    return _pickled()  # the last attempt: a failure now is raised


def _pickled() -> bytes:
    return dumps((asdict(Header.current()), {name: dict(b) for name, b in backends_by_service().items()}))


def dumps(state: Any) -> bytes:
    """``state`` pickled as a snapshot pickles it (the reducers above)."""
    buffer = io.BytesIO()
    _Pickler(buffer).dump(state)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """What ``dumps`` (or an earlier readable format) wrote."""
    # Hundreds of thousands of new objects, none of them garbage: collecting while they are made
    # only walks them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)  # noqa: S301 (the developer's own file in the state directory)
    finally:
        if collecting:
            gc.enable()


def restore(data: bytes, source: str = "the snapshot") -> None:
    """Replace every service's state with the snapshot's; refuses an incompatible one untouched."""
    try:
        header, saved = loads(data)
    except Exception as error:
        raise SnapshotError(f"{source} cannot be read ({error}): make local-reset starts empty") from error
    found, expected = Header(**header), Header.current()
    if found.format not in READABLE_FORMATS or (found.moto, found.python) != (expected.moto, expected.python):
        raise SnapshotError(
            f"{source} was written by format {found.format}, moto {found.moto}, Python {found.python}; this local "
            f"cloud reads formats {', '.join(map(str, sorted(READABLE_FORMATS)))} with moto {expected.moto}, "
            f"Python {expected.python}. "
            "make local-reset starts empty (or load it with the versions that wrote it)"
        )
    current = backends_by_service(set(saved))
    for name, backends in current.items():
        backends.clear()
        backends.update(saved.get(name, {}))


def write(path: Path, data: bytes) -> None:
    """Atomically: a temporary file in the same directory, flushed, renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def describe(error: BaseException) -> str:
    """A failed save's error in one line, as the health answer and the marker file carry it."""
    return " ".join(f"{type(error).__name__}: {error}".split())[:MAX_ERROR_CHARS]


def save_in_child(path: Path) -> None:
    """Capture and write from a forked copy of this process; SaveFailed carries the child's error."""
    readable, writable = os.pipe()
    with warnings.catch_warnings():
        # Python warns that forking a threaded process may deadlock the child; this child only
        # pickles and writes (see the module docstring), then leaves with os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            pid = os.fork()
        except OSError:
            os.close(readable)
            os.close(writable)
            raise
    if pid == 0:  # the child
        code = 1
        try:
            os.close(readable)
            write(path, capture())
            code = 0
        except BaseException as error:
            # Raw writes: sys.stderr's lock may have been held by another thread at the fork.
            os.write(2, ("the state could not be saved:\n" + "".join(traceback.format_exception(error))).encode())
            os.write(writable, describe(error).encode())  # under the pipe's buffer: never blocks
        finally:
            os._exit(code)
    os.close(writable)
    with os.fdopen(readable, "rb") as pipe:
        reported = pipe.read().decode(errors="replace")  # until the child's end closes as it exits
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        ended = f"signal {-code}" if code < 0 else f"exit code {code}"
        raise SaveFailed(reported or f"the saving process ended with {ended}")


class SaveRecord:
    """How the state's saves go, for the health answer; a failed save also leaves a marker file
    (its time and error) until one succeeds, for ``localcloud down`` to read after the server exits."""

    def __init__(self, state_dir: Path) -> None:
        self.marker = save_failed_file(state_dir)
        self._lock = threading.Lock()
        self._saved_at: float | None = None
        self._failing_since: float | None = None
        self._failures = 0
        self._last_error: str | None = None

    def succeeded(self) -> None:
        with self._lock:
            self._saved_at, self._failing_since, self._failures = time.time(), None, 0
        self.marker.unlink(missing_ok=True)

    def failed(self, error: str) -> None:
        now = time.time()
        with self._lock:
            self._failing_since = self._failing_since or now
            self._failures += 1
            self._last_error = error
        with contextlib.suppress(OSError):  # the state directory may be what fails; the health still says it
            self.marker.parent.mkdir(parents=True, exist_ok=True)
            self.marker.write_text(f"{_utc(now)} {error}\n")

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "last_saved_at": _utc(self._saved_at),
                "failing_since": _utc(self._failing_since),
                "consecutive_failures": self._failures,
                "last_error": self._last_error,
            }


def _utc(timestamp: float | None) -> str | None:
    return None if timestamp is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def periodic_save_due(since_save: float, since_request: float, interval: float) -> bool:
    """Whether a running server that has changed since its last save should save now (seconds since
    the last save and since the last request): the interval passed and the server is quiet, or
    requests have kept coming for ``BUSY_INTERVALS`` intervals."""
    if since_save < interval:
        return False
    return since_request >= QUIET_SECONDS or since_save >= interval * BUSY_INTERVALS


def named(state_dir: Path, name: str) -> Path:
    """Where ``localcloud snapshot save NAME`` keeps a named state."""
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise SnapshotError(f"snapshot name {name!r}: letters, digits, '-', '_' and '.', not starting with '.'")
    return state_dir / "snapshots" / f"{name}.pickle"

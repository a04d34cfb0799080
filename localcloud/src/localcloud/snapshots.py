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

**Pickling moto.** Locks (moto's and the local cloud's own, on the models) are saved as new,
released locks; the Lambda backend's weak index of functions by ARN is saved with its entries,
which the same pickle holds strongly elsewhere; a ``defaultdict`` whose factory is a lambda
making an empty dict, list or set is saved with that type as its factory; a private key
(KMS's asymmetric keys) is saved as PKCS #8 and loaded back. Anything else that cannot be
pickled fails the save loudly, never silently.

**Format.** A header (format number, moto and Python versions) then the backends. A snapshot
from another format, moto version or Python minor version is refused with a message saying
which and what to do (``make local-reset``), never half-loaded: pickled models of another moto
may not match its classes.

**Writing.** To a temporary file beside the target, flushed to disk, then renamed over it: a
crash while writing leaves the previous snapshot whole. The server writes one when it stops and,
while it runs, every ``snapshot_interval`` seconds if anything changed. Pickling tens of MB holds
the interpreter for seconds, long enough for clients to time out, so a running server saves from
a forked copy of itself (``save_in_child``): the fork is a consistent image of that instant, the
child pickles and writes it and exits, and the server goes on serving at once. The child takes
no lock and runs nothing but the pickling and the write, so the threads the fork leaves behind
cannot block it. A crash loses what changed since the last save.
"""

from __future__ import annotations

import _thread
import copyreg
import io
import os
import pickle
import sys
import tempfile
import warnings
import weakref
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from localcloud.moto_patches.internals import backends_by_service, moto_version

FORMAT = 1
PRIVATE_KEY_TYPES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)
MAX_ATTEMPTS = 5  # a backend changing size while it is pickled is tried again


class SnapshotError(Exception):
    """A snapshot cannot be used; the message says why and what to do."""


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


def _dispatch_table() -> dict[type, Any]:
    table: dict[type, Any] = dict(copyreg.dispatch_table)
    table[_thread.LockType] = _new_lock
    table[_thread.RLock] = _new_rlock
    table[weakref.WeakValueDictionary] = _weak_values
    table[defaultdict] = _defaultdict
    return table


def _load_private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, password=None)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # Only cryptography's key objects need this; the type's module is the cheap test.
        if type(obj).__module__.startswith("cryptography") and isinstance(obj, PRIVATE_KEY_TYPES):
            der = obj.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _load_private_key, (der,)
        return NotImplemented


def capture() -> bytes:
    """The whole state, as bytes: the header, then every service's backends."""
    for attempt in range(MAX_ATTEMPTS):
        buffer = io.BytesIO()
        pickler = _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = _dispatch_table()
        try:
            pickler.dump((asdict(Header.current()), {name: dict(b) for name, b in backends_by_service().items()}))
        except RuntimeError:  # "changed size during iteration": a request wrote meanwhile
            if attempt == MAX_ATTEMPTS - 1:
                raise
            continue
        return buffer.getvalue()
    raise AssertionError("unreachable")


def restore(data: bytes, source: str = "the snapshot") -> None:
    """Replace every service's state with the snapshot's; refuses an incompatible one untouched."""
    try:
        header, saved = pickle.loads(data)  # noqa: S301 (the developer's own file in the state directory)
    except Exception as error:
        raise SnapshotError(f"{source} cannot be read ({error}): make local-reset starts empty") from error
    found, expected = Header(**header), Header.current()
    if found != expected:
        raise SnapshotError(
            f"{source} was written by format {found.format}, moto {found.moto}, Python {found.python}; this local "
            f"cloud is format {expected.format}, moto {expected.moto}, Python {expected.python}. "
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


def save_in_child(path: Path) -> bool:
    """Capture and write from a forked copy of this process; True when the child succeeded."""
    with warnings.catch_warnings():
        # Python warns that forking a threaded process may deadlock the child; this child only
        # pickles and writes (see the module docstring), then leaves with os._exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            write(path, capture())
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def named(state_dir: Path, name: str) -> Path:
    """Where ``localcloud snapshot save NAME`` keeps a named state."""
    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise SnapshotError(f"snapshot name {name!r}: letters, digits, '-', '_' and '.', not starting with '.'")
    return state_dir / "snapshots" / f"{name}.pickle"

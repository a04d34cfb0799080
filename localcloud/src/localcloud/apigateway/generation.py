"""Change tracking on moto's API Gateway control plane, for the data plane's caches.

The data plane caches what it would otherwise rebuild per request (route tables, API
key checks, request-body schemas). Each cache entry remembers the generation it was
built at; every mutating control-plane call (create_*, put_*, update_*, delete_*,
import_*, reset) bumps the generation after it returns, so an entry built before or
during a change is stale once the change is visible.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from localcloud.moto_patches.internals import APIGatewayBackend

# Control-plane methods whose name starts like this change what the data plane serves.
_MUTATOR_PREFIXES = ("create_", "put_", "update_", "delete_", "import_")
_TRACKED_MARK = "_localcloud_tracked"

_GENERATION_ATTRIBUTE = "_localcloud_generation"


class _Generation:
    """A counter of control-plane changes."""

    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()


def _shared_generation() -> _Generation:
    # Kept on moto's class, not in this module: if this module is imported twice under two
    # names, the copy that installed the tracking and the copy serving must share one counter.
    existing: _Generation | None = getattr(APIGatewayBackend, _GENERATION_ATTRIBUTE, None)
    if existing is None:
        existing = _Generation()
        setattr(APIGatewayBackend, _GENERATION_ATTRIBUTE, existing)
    return existing


_GENERATION = _shared_generation()


def current_generation() -> int:
    """Return the counter that changes whenever API Gateway control-plane state may have changed."""
    return _GENERATION.value


def bump_generation() -> None:
    """Invalidate every cached route table and key check."""
    with _GENERATION.lock:
        _GENERATION.value += 1


def _tracked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        finally:
            # Bump after the change (even a failed one may have half-applied it), so a
            # table built while the call ran is already stale when the call returns.
            bump_generation()

    setattr(wrapper, _TRACKED_MARK, True)
    return wrapper


def install_change_tracking() -> None:
    """Wrap moto's mutating API Gateway backend methods so caches see every change (idempotent)."""
    for name in [*vars(APIGatewayBackend), "reset"]:
        attribute = getattr(APIGatewayBackend, name)
        mutates = name == "reset" or name.startswith(_MUTATOR_PREFIXES)
        if mutates and callable(attribute) and not getattr(attribute, _TRACKED_MARK, False):
            setattr(APIGatewayBackend, name, _tracked(attribute))

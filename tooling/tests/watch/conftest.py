"""Hot reload runs against a local cloud in this process."""

from __future__ import annotations

from cloud_fixtures import cloud, no_real_account

# Fixtures shared with the other tooling test packages, used here by name.
__all__ = ["cloud", "no_real_account"]

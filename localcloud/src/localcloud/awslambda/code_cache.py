"""Unpacked deployment packages, one directory per code digest.

A zip is unpacked once per sha256 and reused by every worker and every later
server run; a redeploy has a new digest and so a new directory (and workers).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path


class CodeCache:
    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._ready: dict[str, Path] = {}

    def unpack(self, digest: str, code: bytes) -> Path:
        """The directory holding ``code`` unpacked; unpacks it on first use."""
        path = self._ready.get(digest)
        if path is not None:
            return path
        # One lock for all digests: unpacking is rare (once per deploy) and this
        # keeps two invocations of a new function from unpacking it twice.
        with self._lock:
            path = self._ready.get(digest)
            if path is None:
                path = self._unpack_once(digest, code)
                self._ready[digest] = path
        return path

    def _unpack_once(self, digest: str, code: bytes) -> Path:
        target = self._root / digest
        if target.is_dir():
            return target
        self._root.mkdir(parents=True, exist_ok=True)
        # Unpack beside the target and rename, so a crash never leaves a
        # half-written directory that a later run would trust.
        staging = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=self._root))
        try:
            with zipfile.ZipFile(io.BytesIO(code)) as archive:
                archive.extractall(staging)
                _restore_modes(archive, staging)
            os.replace(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not target.is_dir():
                raise
        except zipfile.BadZipFile:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target


def _restore_modes(archive: zipfile.ZipFile, root: Path) -> None:
    # zipfile drops Unix permissions; packaged executables need them back.
    for info in archive.infolist():
        mode = (info.external_attr >> 16) & 0o777
        if mode and not info.is_dir():
            os.chmod(root / info.filename, mode | 0o400)

"""Step 4 of the build: the deterministic zip, atomic outputs, and what ties a zip to one architecture.

Two builds of the same tree give the same bytes: entries sorted, one fixed timestamp (the zip
epoch, or SOURCE_DATE_EPOCH), 0644/0755 modes, no directory entries, no bytecode, one
compression level. Outputs are replaced atomically and only when their content changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tooling.build import BuildError

# The earliest moment a zip header can represent (1980-01-01T00:00:00Z).
ZIP_EPOCH = 315532800
# Fixed so that the same input always gives the same bytes. 9 because the
# zip is built rarely but uploaded and cold-started often.
COMPRESS_LEVEL = 9
# Bytecode is never shipped: it is interpreter-specific, and its embedded
# source mtimes would defeat reproducibility.
EXCLUDED_DIR_NAMES = frozenset({"__pycache__"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
FILE_MODE = 0o644
EXEC_MODE = 0o755
# Default Lambda architecture when the Chalice config does not name one
# What ties a zip to one instruction set: compiled extension modules.
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib")


def zip_date_time(environ: Mapping[str, str]) -> tuple[int, int, int, int, int, int]:
    """Return the timestamp every entry gets.

    SOURCE_DATE_EPOCH (reproducible-builds.org) wins when set. It is
    interpreted in UTC and clamped to the zip epoch, because a zip header
    cannot hold anything earlier than 1980.
    """
    raw = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        epoch = ZIP_EPOCH
    else:
        try:
            epoch = int(raw)
        except ValueError as exc:
            raise BuildError(f"SOURCE_DATE_EPOCH must be an integer, got {raw!r}") from exc
        epoch = max(epoch, ZIP_EPOCH)
    tm = time.gmtime(epoch)
    if tm.tm_year > 2107:  # the zip date field ends in 2107
        raise BuildError(f"SOURCE_DATE_EPOCH {raw} is beyond what a zip can store")
    # Zip stores seconds in 2-second steps; round down so that reading the
    # value back gives the same tuple.
    return (tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec - tm.tm_sec % 2)


def is_excluded(name: str) -> bool:
    """True for zip member names that must never reach the package."""
    parts = name.split("/")
    return any(part in EXCLUDED_DIR_NAMES for part in parts) or name.endswith(EXCLUDED_SUFFIXES)


def repack(source: Path, date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """Return the deterministic zip bytes for the members of ``source``.

    Directory entries are dropped: Lambda and zipimport do not need them, and
    whether a tool writes them is what usually differs between two builds.
    Only the executable bit of a file's mode is kept, and it becomes 0755.
    """
    members: dict[str, tuple[bytes, int]] = {}
    with zipfile.ZipFile(source) as zin:
        for info in zin.infolist():
            name = info.filename.replace("\\", "/").lstrip("/")
            while name.startswith("./"):
                name = name[2:]
            if info.is_dir() or not name or is_excluded(name):
                continue
            if name in members:
                # Chalice would let a vendored file shadow a dependency
                # silently; fail so that the collision is seen and resolved.
                raise BuildError(f"duplicate zip member {name!r} in {source}")
            unix_mode = (info.external_attr >> 16) & 0o777
            mode = EXEC_MODE if unix_mode & 0o111 else FILE_MODE
            members[name] = (zin.read(info), mode)
    return write_members(members, date_time)


def write_members(
    members: Mapping[str, tuple[bytes, int]],
    date_time: tuple[int, int, int, int, int, int],
    compress_level: int = COMPRESS_LEVEL,
) -> bytes:
    """The deterministic zip of ``members`` (name -> (content, 0644 or 0755)): sorted, one timestamp."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zout:
        for name in sorted(members):
            data, mode = members[name]
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            # create_system 3 (Unix) makes unzip and Lambda honour the mode
            # bits; ZipInfo would otherwise pick 0 on Windows.
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            zout.writestr(info, data, compresslevel=compress_level)
    return buffer.getvalue()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace ``path`` with ``data`` unless it already holds it.

    Returns True when the file was (re)written. An unchanged file keeps its
    mtime, so make and Terraform see no change. A reader never sees a
    half-written file, because the new content goes to a temp file in the
    same directory and is then renamed over the old one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and sha256_bytes(path.read_bytes()) == sha256_bytes(data):
        return False
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, FILE_MODE)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return True


def json_bytes(value: Any) -> bytes:
    """Stable JSON: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _distribution_name(metadata: str, dist_info_dir: str) -> str:
    for line in metadata.splitlines():
        if line.startswith("Name:"):
            return line.removeprefix("Name:").strip()
    return dist_info_dir.removesuffix(".dist-info").rsplit("-", 1)[0]


def architecture_ties(zip_bytes: bytes) -> dict[str, list[str]]:
    """What in the zip runs on one instruction set only, by the package that brought it.

    The same zip is deployed to arm64 and x86_64 functions (the architecture is a
    per-environment Terraform setting), which is only sound while the zip is pure
    Python. Two things break that: a compiled extension module (``.so``, ``.pyd``)
    and a wheel whose tag names a platform (``WHEEL``'s ``Tag:`` lines, anything but
    ``-any``). Each finding is attributed to its distribution through the
    ``*.dist-info/RECORD`` files that pip leaves in the zip; a file no RECORD lists
    is attributed to its top-level directory (vendored code, the app itself).
    An empty result means the zip is architecture-neutral.
    """
    ties: dict[str, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        names = zf.namelist()
        owner: dict[str, str] = {}
        for name in names:
            directory, _, leaf = name.partition("/")
            if not directory.endswith(".dist-info") or leaf not in ("RECORD", "WHEEL"):
                continue
            metadata_name = f"{directory}/METADATA"
            metadata = zf.read(metadata_name).decode("utf-8", "replace") if metadata_name in names else ""
            dist = _distribution_name(metadata, directory)
            text = zf.read(name).decode("utf-8", "replace")
            if leaf == "RECORD":
                for line in text.splitlines():
                    path = line.split(",", 1)[0]
                    if path:
                        owner[path] = dist
            else:
                for line in text.splitlines():
                    tag = line.removeprefix("Tag:").strip() if line.startswith("Tag:") else ""
                    if tag and not tag.endswith("-any"):
                        ties.setdefault(dist, []).append(f"platform wheel {tag}")
        for name in names:
            if name.endswith(NATIVE_SUFFIXES) or ".so." in name.rsplit("/", 1)[-1]:
                ties.setdefault(owner.get(name, name.split("/", 1)[0]), []).append(name)
    return {dist: sorted(found) for dist, found in sorted(ties.items())}

"""Replacing a file all at once, so a crash or a full disk never leaves half a lesson.

The new content goes to a temporary file in the same folder (so the final rename stays on
one file system), is flushed to disk, and then renamed over the target: readers see
either the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: stale temporary files are known by their age instead
    fcntl = None  # type: ignore[assignment]

from bpsim.datasets.system import kind_of

#: How much of the target's name a temporary file's name keeps (``.NAME.xxxxxxxx.tmp``
#: must fit in 255 bytes, so a legal 250-byte name can be saved to).
_TEMP_NAME_BYTES = 64
_RANDOM = 8  # mkstemp's random part
#: Without locks (Windows), a temporary file this old is taken for one a crash left.
_STALE_SECONDS = 3600.0


class UnsafeTarget(OSError):
    """A path bpsim will not replace: a device, a FIFO, a folder, or a read-only file."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, keeping an existing file's permissions.

    On any failure the old file is left as it was, the temporary file is removed and the
    error propagates. A symbolic link at ``path`` is kept: its target is replaced. Only a
    regular file or a missing one is ever replaced (never ``/dev/null``, a FIFO or a
    folder), and a read-only file is refused: :class:`UnsafeTarget` says which.
    Temporary files earlier saves left behind (a crash, kill -9) are removed first.
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = target.parent
    check_target(target)
    mode = _mode_for(target)
    prefix = temp_prefix(target.name)
    remove_stale_temporaries(folder, prefix)
    fd, temp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    try:
        _lock(fd)  # held until the rename: the mark of a save still under way
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
            os.chmod(temp_name, mode)
            if os.name == "posix":  # renamed while still locked; Windows needs it closed
                os.replace(temp_name, target)
        if os.name != "posix":
            os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _sync_folder(folder)


def check_target(target: Path) -> None:
    """Refuse a target that is not a regular file or missing, or that is read-only."""
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return
    except OSError:
        return  # let the write itself report it
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeTarget(
            errno.EINVAL, f"is {kind_of(info.st_mode)}; bpsim replaces only regular files"
        )
    if not stat.S_IMODE(info.st_mode) & 0o222 or not os.access(target, os.W_OK):
        raise UnsafeTarget(errno.EACCES, "the file is read-only; save under another name")


def temp_prefix(name: str) -> str:
    """``.NAME.`` with NAME cut to a few dozen bytes (whole characters), for mkstemp."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) > _TEMP_NAME_BYTES:
        name = raw[:_TEMP_NAME_BYTES].decode("utf-8", "ignore")
    return f".{name}."


def remove_stale_temporaries(folder: Path, prefix: str) -> list[Path]:
    """Delete temporary files of an earlier save to the same name that no process is
    writing any more (its lock is gone with it); returns what was removed."""
    pattern = re.compile(re.escape(prefix) + rf"[a-z0-9_]{{{_RANDOM}}}\.tmp")
    removed: list[Path] = []
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix) and pattern.fullmatch(n)]
    except OSError:
        return removed
    for name in names:
        candidate = folder / name
        if _stale(candidate):
            with contextlib.suppress(OSError):
                os.unlink(candidate)
                removed.append(candidate)
    return removed


def _lock(fd: int) -> None:
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _stale(candidate: Path) -> bool:
    """True when no live save holds ``candidate`` (a regular file of ours)."""
    try:
        info = os.lstat(candidate)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        return False
    if fcntl is None:
        return time.time() - info.st_mtime > _STALE_SECONDS
    try:
        fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a save in another process is writing it now
    finally:
        os.close(fd)  # (closing drops the lock taken just now)
    return True


def _mode_for(target: Path) -> int:
    """The target's permission bits if it exists, else what a new file would get."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask; read from /proc where possible (setting it is not thread-safe)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort where folders cannot be opened."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)

"""What the machine allows: opening only regular files, and how much memory a lesson may take.

Both sit at the bottom of the file-reading layers so a lesson, a CSV file and an IDX file
are opened the same way: a FIFO or a device named as a file is refused at once (opening a
FIFO for reading would wait forever for a writer), and sizes are checked against the
memory this machine has free before anything big is allocated.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO

#: The share of the free memory one lesson may take; the rest is for the window, NumPy's
#: temporaries and everything else that runs.
MEMORY_SHARE = 0.5
#: Assumed when the machine will not say (no /proc, no sysconf): a small laptop's free memory.
FALLBACK_AVAILABLE = 2 * 2**30
#: Longest file name (one path component) most file systems take, in bytes.
NAME_MAX = 255


class NotRegularFile(OSError):
    """A path that names a FIFO, a device, a socket or a folder where a file was expected."""


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words, for a refusal."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse(mode: int) -> NotRegularFile:
    what = kind_of(mode)
    return NotRegularFile(0, f"is {what}, not a regular file" if what.startswith("a ") else what)


def open_regular(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading in binary, refusing anything but a regular file.

    The path is checked before it is opened and the open file again after (without
    blocking: a FIFO put there in between cannot stall the open), so nothing but a regular
    file is ever read. Raises :class:`NotRegularFile` or the OS's own ``OSError``.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise _refuse(mode)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse(mode)
        return os.fdopen(fd, "rb")
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


def long_name(path: str | Path) -> str | None:
    """The first part of ``path`` whose name is longer than the file system takes, or None."""
    for part in Path(path).parts:
        if len(os.fsencode(part)) > NAME_MAX:
            return part
    return None


def available_memory() -> int:
    """Bytes of memory this machine has free now (Linux's MemAvailable, else sysconf).

    ``BPSIM_MEMORY_AVAILABLE`` (bytes) overrides what the machine says, to try how bpsim
    behaves on a smaller machine."""
    override = os.environ.get("BPSIM_MEMORY_AVAILABLE", "")
    if override.isdigit():
        return int(override)
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/meminfo", encoding="ascii", errors="replace") as info,
    ):
        for line in info:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(AttributeError, ValueError, OSError):
        pages = os.sysconf("SC_AVPHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return int(pages) * int(size)
    return FALLBACK_AVAILABLE


def memory_budget() -> int:
    """Bytes one lesson may use: a share of what is free now."""
    return int(available_memory() * MEMORY_SHARE)


def size_text(count: float) -> str:
    """``"1.5 GB"``, ``"830 MB"``: a byte count a person reads at a glance."""
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{int(count)} bytes"

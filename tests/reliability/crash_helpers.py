"""Starting :mod:`crash_child` in its own process, reading what it did, and killing it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CHILD = Path(__file__).with_name("crash_child.py")
START_TIMEOUT = 60.0  # a cold start of Python + Qt + NumPy on a busy CI machine


class Child:
    """``crash_child.py MODE LESSON`` with its stdout read line by line in a thread."""

    def __init__(self, mode: str, lesson: Path, *extra: str, env: dict[str, str] | None = None):
        # Settings (recent files …) and app data of the child stay out of the user's home.
        self._home = tempfile.TemporaryDirectory(prefix="bpsim-crash-child-")
        full_env = dict(os.environ)
        full_env["QT_QPA_PLATFORM"] = "offscreen"
        full_env["XDG_CONFIG_HOME"] = os.path.join(self._home.name, "config")
        full_env["XDG_DATA_HOME"] = os.path.join(self._home.name, "data")
        full_env.update(env or {})
        # a file, not a pipe: a full pipe would block the child (closed in kill())
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(CHILD), mode, str(lesson), *extra],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=full_env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str, timeout: float = START_TIMEOUT) -> list[str]:
        """The words after ``prefix`` on the next line that starts with it."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(left, 0.01))
            except queue.Empty:
                self.kill()
                raise AssertionError(f"no {prefix!r} within {timeout}s; saw {self.seen}") from None
            if line is None:
                self._stderr.seek(0)
                err = self._stderr.read()
                raise AssertionError(f"the child ended before {prefix!r}; saw {self.seen}\n{err}")
            self.seen.append(line)
            if line.startswith(prefix + " ") or line == prefix:
                return line.split()[1:]

    def rest(self) -> list[str]:
        """The lines printed but not read yet (after :meth:`kill`: everything it said)."""
        out: list[str] = []
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return out
            if line is not None:
                out.append(line)
                self.seen.append(line)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs. Reaped at once, so the process is gone
        (a zombie would still look alive to a lock file's owner check)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)  # the pipe is at its end: the child is gone
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        self._home.cleanup()
        assert self.process.returncode in (-signal.SIGKILL, 0, 1), self.process.returncode


def temp_leftovers(folder: Path) -> list[Path]:
    """Temporary files an interrupted atomic save leaves (``.NAME.xxxx.tmp``)."""
    return sorted(p for p in folder.iterdir() if p.name.startswith(".") and p.suffix == ".tmp")

"""Running ``bpsim`` as a real process against hostile input, and what every run must show.

Each case of issue 16 is run as its own process and held to the same bar: it ends within
:data:`SECONDS` with exit code 0, 2 or 3, its peak memory stays under :data:`MAX_RSS`, its
stderr has no traceback and every message is one line of text (no raw ESC, CR or U+2028).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

SECONDS = 10.0
MAX_RSS = 1024 * 2**20  # bytes
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    max_rss: int  # bytes

    def lines(self) -> list[str]:
        return self.err.splitlines()


def bpsim(
    *args: str,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    stdout: int | None = None,
    timeout: float = SECONDS * 3,
    interrupt_after: str | None = None,
) -> Run:
    """Run ``python -m bpsim ARGS`` in ``cwd``; stdout and stderr go to files (or
    ``stdout`` names a file descriptor to write to instead). ``interrupt_after``: send
    SIGINT once stdout holds this text. Peak memory comes from wait4's rusage."""
    environment = dict(os.environ)
    environment.pop("BPSIM_DEBUG", None)
    if env is not None:
        environment.update(env)
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "bpsim", *args],
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=out_file if stdout is None else stdout,
            stderr=err_file,
        )
        sent = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                process.kill()
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = os.waitstatus_to_exitcode(status)  # reaped: no warning
                raise AssertionError(f"bpsim {' '.join(args)} still ran after {timeout} s")
            if interrupt_after is not None and not sent:
                out_file.seek(0)
                if interrupt_after.encode() in out_file.read():
                    process.send_signal(signal.SIGINT)
                    sent = True
            time.sleep(0.02)
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        out = out_file.read().decode("utf-8", "replace")
        err = err_file.read().decode("utf-8", "replace")
    return Run(process.returncode, out, err, seconds, usage.ru_maxrss * 1024)


def assert_clean(run: Run, *codes: int) -> None:
    """The bar every hostile case must meet (see the module)."""
    assert run.code in (codes or (0, 2, 3)), (run.code, run.err)
    assert run.seconds < SECONDS, f"took {run.seconds:.1f} s"
    assert run.max_rss < MAX_RSS, f"peak memory {run.max_rss / 2**20:.0f} MB"
    assert "Traceback" not in run.err and "failed unexpectedly" not in run.err, run.err
    assert not RAW_CONTROL.search(run.err), repr(run.err)
    if run.code == 2:
        assert len(run.lines()) == 1 and run.err.startswith("error: "), run.err


def lesson(**changes: object) -> dict[str, object]:
    """A small valid lesson (2-2-1 sigmoid, XOR inline), with ``changes`` at the top."""
    doc: dict[str, object] = {
        "format": "bpsim",
        "version": 1,
        "name": "hostile",
        "layers": [{"size": 2}, {"size": 2}, {"size": 1}],
        "init": {"method": "xavier_uniform", "seed": 1},
        "loss": "mse",
        "optimizer": {"name": "sgd", "learning_rate": 0.5},
        "training": {"batch_size": 1},
        "dataset": {
            "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
            "targets": [[0], [1], [1], [0]],
        },
    }
    doc.update(changes)
    return doc


def write_lesson(path: Path, doc: Mapping[str, object]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path

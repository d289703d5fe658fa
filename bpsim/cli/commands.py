"""What each ``bpsim`` sub-command does (the parsing is in :mod:`bpsim.cli.main`).

FILE is a `.bpsim` path or a built-in lesson's name (``xor``), opened by
:func:`bpsim.lessons.files.open_lesson`'s rules. Outputs are checked before any work is
done (a folder that exists, a name the file system takes, a regular file or none that is
not read-only), so a long run never ends in "cannot write".
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bpsim.cli.main import (
    EXIT_CHECK_FAILED,
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    CliError,
)
from bpsim.cli.output import OutputClosed, say
from bpsim.core.trainer import DivergenceError, Trainer
from bpsim.datasets.system import NAME_MAX, kind_of, long_name
from bpsim.fileformat import LessonFileError
from bpsim.fileformat.errors import escape

if TYPE_CHECKING:
    pass


def _name_check(path_text: str) -> None:
    bad = long_name(path_text)
    if bad is not None:
        raise CliError(
            f"{path_text}: the name {bad[:40]}… is {len(os.fsencode(bad))} bytes long; "
            f"file systems take at most {NAME_MAX}"
        )


def lesson_path(source: str) -> Path:
    """The file FILE names: a path, or a built-in lesson's name when no such file exists."""
    from bpsim.lessons.files import resolve_source

    _name_check(source)
    path = resolve_source(source)
    try:
        path.stat()
    except FileNotFoundError:
        raise CliError(
            f"{source}: no such file, nor a built-in lesson of that name (see 'bpsim examples')"
        ) from None
    except OSError as error:
        raise CliError(f"{source}: cannot read: {error.strerror or error}") from None
    return path


def _open(source: str) -> Trainer:
    from bpsim.lessons.files import open_lesson

    path = lesson_path(source)
    try:
        return open_lesson(path)
    except LessonFileError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"{source}: cannot read: {error.strerror or error}") from None


def _check_writable(path_text: str, *, lesson: Path | None = None) -> Path:
    """Refuse an output path before any work is done, so nothing is half-written.

    ``lesson``: the lesson being read, which an output of another kind must not replace.
    """
    import stat

    _name_check(path_text)
    path = Path(path_text)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise CliError(f"{path_text}: cannot write: {error.strerror or error}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise CliError(f"{path_text}: is a folder; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise CliError(
            f"{path_text}: is {kind_of(info.st_mode)}; bpsim writes only to regular files"
        )
    if not folder.is_dir():
        raise CliError(f"{path_text}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CliError(f"{path_text}: cannot write in {folder}")
    if info is not None and (not info.st_mode & 0o222 or not os.access(path, os.W_OK)):
        raise CliError(f"{path_text}: the file is read-only; give another name")
    if lesson is not None and info is not None:
        with contextlib.suppress(OSError):
            if os.path.samefile(path, lesson):
                raise CliError(
                    f"{path_text}: is the lesson being read; writing there would replace "
                    "the lesson, so give another name"
                )
    return path


def _refuse_lesson_target(path: Path) -> None:
    """Refuse to replace a `.bpsim` lesson with something else (a handout)."""
    try:
        with open(path, "rb") as stream:  # a regular file: checked by _check_writable
            head = stream.read(4096)
    except OSError:
        return
    if b'"format"' in head and b'"bpsim"' in head:
        raise CliError(
            f"{path}: is a bpsim lesson; writing there would replace it, so give another name"
        )


def _loss_text(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.6g}"


class Progress:
    """A progress bar on a terminal; elsewhere one line per epoch, at most about
    :data:`LINES_PER_SECOND` a second (a short run prints every line), and always the
    last. A reader that goes away (``| head``) stops the lines, not the training."""

    LINES_PER_SECOND = 10.0

    def __init__(self, total_epochs: int, stream: TextIO, quiet: bool) -> None:
        self.total = total_epochs
        self.stream = stream
        self.bar = stream.isatty() and not quiet
        self.quiet = quiet
        self.last_draw = 0.0
        self.tokens = self.LINES_PER_SECOND  # a burst of ten lines, then ten a second
        self.refilled = time.monotonic()
        self.printed_epoch = -1
        self.gone = False

    def _write(self, text: str) -> None:
        if self.gone:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except OutputClosed:
            self.gone = True

    def _line(self, trainer: Trainer) -> str:
        history = trainer.history
        train = float(history.epoch_train_loss.values[-1])
        val = float(history.epoch_val_loss.values[-1])
        return (
            f"epoch {trainer.epoch}: training loss {_loss_text(train)}, "
            f"validation loss {_loss_text(val)}\n"
        )

    def epoch_done(self, done: int, trainer: Trainer) -> None:
        if self.quiet or not len(trainer.history.epoch_train_loss):
            return
        now = time.monotonic()
        if self.bar:
            if now - self.last_draw < 0.1 and done < self.total:
                return
            self.last_draw = now
            history = trainer.history
            train = float(history.epoch_train_loss.values[-1])
            val = float(history.epoch_val_loss.values[-1])
            width = 30
            filled = int(width * done / self.total)
            self._write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] epoch {done}/{self.total}  "
                f"loss {_loss_text(train)}  validation {_loss_text(val)}   "
            )
            return
        self.tokens = min(
            self.LINES_PER_SECOND, self.tokens + (now - self.refilled) * self.LINES_PER_SECOND
        )
        self.refilled = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.printed_epoch = trainer.epoch
            self._write(self._line(trainer))

    def finish(self, trainer: Trainer) -> None:
        if self.bar:
            self._write("\n")
        if len(trainer.history.epoch_train_loss) and self.printed_epoch != trainer.epoch:
            self.printed_epoch = trainer.epoch
            self._write(self._line(trainer))


@contextlib.contextmanager
def _deferred_interrupt() -> Iterator[list[bool]]:
    """Ctrl-C sets a flag instead of stopping mid-step (a half-applied update could not be
    saved); a second Ctrl-C stops at once. Only on the main thread."""
    import threading

    asked = [False]
    if threading.current_thread() is not threading.main_thread():
        yield asked
        return

    def handler(signum: int, frame: object) -> None:
        if asked[0]:
            raise KeyboardInterrupt
        asked[0] = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, previous)


def _train_epoch(trainer: Trainer, asked: list[bool]) -> bool:
    """Finish the current epoch in chunks of about 50 ms, so Ctrl-C is answered quickly;
    returns False when interrupted (between two whole steps)."""
    epoch = trainer.epoch
    chunk = 1
    while trainer.epoch == epoch and trainer.stopped is None:
        if asked[0]:
            return False
        left = trainer.batches_per_epoch - trainer.batch_index
        started = time.monotonic()
        if trainer.run_steps(min(chunk, left)) == 0:
            break
        if time.monotonic() - started < 0.05:
            chunk *= 2
    return True


def train(args: argparse.Namespace) -> int:
    """Train for ``--epochs`` epochs; ``--save`` writes the result, whatever happens: after
    divergence (exit 3, the last finite state) or Ctrl-C (exit 130, the state reached)."""
    source = lesson_path(args.file)
    out = _check_writable(args.save, lesson=None) if args.save else None
    trainer = _open(args.file)
    progress = Progress(args.epochs, sys.stdout, args.quiet)
    code = EXIT_OK
    with _deferred_interrupt() as asked:
        try:
            done, chunk = 0, 1
            while done < args.epochs:
                # Epochs in chunks that take about 50 ms: one call into the lean loop for
                # many short epochs (the 2-2-2 lesson's epoch is one step), a check for
                # Ctrl-C and a progress line between chunks. The bits are the same.
                count = min(chunk, args.epochs - done)
                started = time.monotonic()
                if count == 1:
                    if not _train_epoch(trainer, asked):
                        code = EXIT_INTERRUPTED
                        break
                    finished = 1
                else:
                    finished = trainer.run_epochs(count)
                done += finished
                progress.epoch_done(done, trainer)
                if trainer.stopped or finished == 0:
                    break
                if asked[0]:
                    code = EXIT_INTERRUPTED
                    break
                # The first epochs one by one, so a short run reports every epoch.
                if done >= 16 and time.monotonic() - started < 0.05:
                    chunk *= 2
        except DivergenceError as error:
            progress.finish(trainer)
            say(f"error: {escape(source)}: {escape(error)}")
            code = EXIT_DIVERGED
        else:
            progress.finish(trainer)
            if code == EXIT_INTERRUPTED:
                saving = f"; saving the state reached to {escape(out)}" if out else ""
                say(f"interrupted at epoch {trainer.epoch}, step {trainer.step_count}{saving}")
            elif trainer.stopped:
                progress._write(trainer.stopped + "\n")
        if out is not None:
            notes = _save(trainer, out)
            if notes:
                say(f"warning: {escape(out)}: {escape(' '.join(notes))}")
                if code == EXIT_OK:
                    code = EXIT_DIVERGED  # a state that cannot be written has diverged
    return code


def _save(trainer: Trainer, out: Path) -> list[str]:
    from bpsim.lessons.files import save_trainer

    try:
        return save_trainer(trainer, out)
    except LessonFileError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"{out}: cannot write: {error.strerror or error}") from None


def _write_text(text: str, out: str | None, lesson: Path | None = None) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from bpsim.fileformat.atomic import UnsafeTarget, atomic_write_bytes

    path = _check_writable(out, lesson=lesson)
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except UnsafeTarget as error:
        raise CliError(f"{out}: {error.strerror}") from None
    except OSError as error:
        raise CliError(f"{out}: cannot write: {error.strerror or error}") from None


#: Most weights and biases a worked example is written for (it takes ~1 s per 150,000).
EXPLAIN_MAX_PARAMETERS = 250_000


def explain(args: argparse.Namespace) -> int:
    """One step on the first batch, written out as the seeds write theirs."""
    from bpsim.teaching.worked_example import run_explained_step, to_html, to_json, to_markdown

    source = lesson_path(args.file)
    if args.out:
        _refuse_lesson_target(_check_writable(args.out, lesson=source))
    trainer = _open(args.file)
    count = trainer.network.flat.size
    if count > EXPLAIN_MAX_PARAMETERS:
        raise CliError(
            f"{source}: layers: the network has {count:,} weights and biases; a worked "
            f"example writes each one's update, so explain takes at most "
            f"{EXPLAIN_MAX_PARAMETERS:,} (try 'bpsim check' or a smaller network)"
        )
    try:
        example = run_explained_step(trainer)
    except DivergenceError as error:
        raise CliError(f"{source}: {error}", code=EXIT_DIVERGED) from None
    render = {"markdown": to_markdown, "json": to_json, "html": to_html}[args.format]
    _write_text(render(example), args.out, source)
    return EXIT_OK


# ----------------------------------------------------------------------------- check


def check(args: argparse.Namespace) -> int:
    """Gradient check on the first batch; exit 1 when any relative error is over 1e-6.

    A big network is checked on a random sample of its parameters, and says so; progress
    shows on a terminal, and Ctrl-C stops with the verdict on what was checked."""
    import numpy as np

    from bpsim.core.gradcheck import (
        CHECK_SEED,
        PASS_THRESHOLD,
        analytic_gradients,
        numeric_gradient,
        plan_check,
    )
    from bpsim.teaching.explain import names_for

    source = lesson_path(args.file)
    trainer = _open(args.file)
    rows = trainer.next_batch()
    net = trainer.network
    inputs, targets = trainer.inputs[rows], trainer.targets[rows]
    names = names_for(net, trainer.lesson.view)
    plan = plan_check(net, inputs, targets)  # the window's Check gradients uses it too
    sampled, count, total = plan.sampled, plan.count, plan.total
    if sampled:
        print(
            f"checking {count:,} of {total:,} parameters, chosen at random (seed {CHECK_SEED}): "
            "the network is too big to check every one in a few seconds"
        )
    arrays = net.parameter_arrays()
    chosen = ((n, int(flat)) for n, positions in enumerate(plan.positions) for flat in positions)
    analytic = analytic_gradients(net, inputs, targets)
    print(f"{'parameter':<28} {'backprop':>14} {'finite diff.':>14} {'rel. error':>10}")
    worst = 0.0
    checked = 0
    code = EXIT_OK
    status = _Status(count)
    with _deferred_interrupt() as asked:
        for n, flat in chosen:
            if asked[0]:
                code = EXIT_INTERRUPTED
                break
            index = tuple(int(i) for i in np.unravel_index(flat, arrays[n].shape))
            a = float(analytic[n][index])
            num = numeric_gradient(net, n, flat, inputs, targets)
            error = _relative(a, num)
            worst = max(worst, error)
            checked += 1
            k, is_bias = divmod(n, 2)
            if is_bias:
                name = names.bias(k, index[0], net.layers[k + 1].bias == "shared")
            else:
                name = f"{names.weight(k, *index)} ({net.weight_name(k, *index)})"
            flag = "" if error <= PASS_THRESHOLD else "  ✗"
            print(f"{escape(name):<28} {a:>14.8g} {num:>14.8g} {error:>10.2e}{flag}")
            status.tick(checked)
    status.done()
    passed = worst <= PASS_THRESHOLD
    verdict = "passed" if passed else "FAILED"
    scope = ""
    if code == EXIT_INTERRUPTED:
        scope = f" (interrupted after {checked:,} of {count:,})"
        say(f"interrupted: {escape(source)}: checked {checked:,} of {count:,} parameters")
    elif sampled:
        scope = f" ({checked:,} sampled parameters)"
    print(f"largest relative error {worst:.3g} (threshold {PASS_THRESHOLD:g}): {verdict}{scope}")
    if code == EXIT_INTERRUPTED:
        return code
    return EXIT_OK if passed else EXIT_CHECK_FAILED


class _Status:
    """ "checked 1,200 of 5,000" on stderr when it is a terminal, at most 5 times a second."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.shown = False
        self.last = time.monotonic()
        self.live = sys.stderr.isatty()

    def tick(self, done: int) -> None:
        now = time.monotonic()
        if self.live and now - self.last > 0.2:
            self.last = now
            self.shown = True
            sys.stderr.write(f"\rchecked {done:,} of {self.total:,} (Ctrl-C stops)")
            sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 40 + "\r")
            sys.stderr.flush()


def _relative(a: float, num: float) -> float:
    import numpy as np

    from bpsim.core.gradcheck import relative_error

    return float(relative_error(np.array([a]), np.array([num]))[0])


def examples(args: argparse.Namespace) -> int:
    """List the built-in lessons, or write one."""
    from bpsim.lessons.examples import EXAMPLES, find_example

    if args.name is None:
        if args.out:
            raise CliError("--out needs an example NAME")
        width = max(len(e.name) for e in EXAMPLES)
        for example in EXAMPLES:
            print(f"{example.name:<{width}}  {example.title}")
        return EXIT_OK
    found = find_example(args.name)
    if found is None:
        names = ", ".join(e.name for e in EXAMPLES)
        raise CliError(f"unknown example {escape(repr(args.name))}; expected one of {names}")
    _write_text(found.path.read_text(encoding="utf-8"), args.out)
    return EXIT_OK


def screenshot(args: argparse.Namespace) -> int:
    """Render the window offscreen after some actions and save it as a PNG."""
    size = args.size.lower().split("x")
    if len(size) != 2 or not all(part.isdigit() for part in size):
        raise CliError(f"--size: expected WIDTHxHEIGHT such as 1600x1000, got '{args.size}'")
    width, height = (int(part) for part in size)
    if not (200 <= width <= 8000 and 200 <= height <= 8000):
        raise CliError("--size: width and height must be between 200 and 8000 pixels")
    actions = [a.strip() for a in args.after.split(",") if a.strip()]
    source = lesson_path(args.file)
    out = _check_writable(args.out, lesson=source)
    if not str(out).lower().endswith(".png"):
        raise CliError(f"{args.out}: the picture must be a .png file")
    trainer = _open(args.file)
    del trainer  # the window opens the file itself; this only checked it
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bpsim.gui.screenshot import render_screenshot

    zoom = getattr(args, "zoom", None)
    if zoom is not None and not 0.5 <= zoom <= 3.0:
        raise CliError(f"--zoom: expected a factor from 0.5 to 3, got {zoom:g}")
    try:
        render_screenshot(
            source,
            out,
            actions,
            (width, height),
            args.panel,
            presentation=getattr(args, "presentation", False),
            theme=getattr(args, "theme", None),
            zoom=zoom,
        )
    except ValueError as error:
        raise CliError(str(error)) from None
    return EXIT_OK

"""What each ``bpsim`` sub-command does (the parsing is in :mod:`bpsim.cli.main`)."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from bpsim.cli.main import EXIT_CHECK_FAILED, EXIT_DIVERGED, EXIT_OK, CliError
from bpsim.core.trainer import DivergenceError, Trainer
from bpsim.fileformat import LessonFileError


def _open(path_text: str) -> Trainer:
    from bpsim.lessons.files import trainer_from_lesson_file

    path = Path(path_text)
    if not path.exists():
        raise CliError(f"{path_text}: no such file")
    if path.is_dir():
        raise CliError(f"{path_text}: is a folder, not a .bpsim file")
    try:
        return trainer_from_lesson_file(path)
    except LessonFileError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"{path_text}: cannot read: {error.strerror or error}") from None


def _check_writable(path_text: str) -> Path:
    """Refuse an output path before any work is done, so nothing is half-written."""
    path = Path(path_text)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CliError(f"{path_text}: is a folder; give a file name")
    if not folder.is_dir():
        raise CliError(f"{path_text}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CliError(f"{path_text}: cannot write in {folder}")
    return path


def _loss_text(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.6g}"


class Progress:
    """A progress bar on a terminal, one summary line per epoch anywhere else."""

    def __init__(self, total_epochs: int, stream: TextIO, quiet: bool) -> None:
        self.total = total_epochs
        self.stream = stream
        self.bar = stream.isatty() and not quiet
        self.quiet = quiet
        self.last_draw = 0.0

    def epoch_done(self, done: int, trainer: Trainer) -> None:
        history = trainer.history
        train = float(history.epoch_train_loss.values[-1])
        val = float(history.epoch_val_loss.values[-1])
        if self.bar:
            now = time.monotonic()
            if now - self.last_draw < 0.1 and done < self.total:
                return
            self.last_draw = now
            width = 30
            filled = int(width * done / self.total)
            self.stream.write(
                f"\r[{'#' * filled}{'.' * (width - filled)}] epoch {done}/{self.total}  "
                f"loss {_loss_text(train)}  validation {_loss_text(val)}   "
            )
            self.stream.flush()
        elif not self.quiet:
            self.stream.write(
                f"epoch {trainer.epoch}: training loss {_loss_text(train)}, "
                f"validation loss {_loss_text(val)}\n"
            )

    def finish(self, trainer: Trainer) -> None:
        if self.bar:
            self.stream.write("\n")
        if (self.bar or self.quiet) and len(trainer.history.epoch_train_loss):
            train = float(trainer.history.epoch_train_loss.values[-1])
            val = float(trainer.history.epoch_val_loss.values[-1])
            self.stream.write(
                f"epoch {trainer.epoch}: training loss {_loss_text(train)}, "
                f"validation loss {_loss_text(val)}\n"
            )
        self.stream.flush()


def train(args: argparse.Namespace) -> int:
    """Train for ``--epochs`` epochs; ``--save`` writes the result (even after divergence)."""
    out = _check_writable(args.save) if args.save else None
    trainer = _open(args.file)
    progress = Progress(args.epochs, sys.stdout, args.quiet)
    code = EXIT_OK
    try:
        for done in range(1, args.epochs + 1):
            trainer.run_epoch()
            progress.epoch_done(done, trainer)
            if trainer.stopped:
                break
    except DivergenceError as error:
        progress.finish(trainer)
        print(f"error: {args.file}: {error}", file=sys.stderr)
        code = EXIT_DIVERGED
    else:
        progress.finish(trainer)
        if trainer.stopped:
            print(trainer.stopped, file=sys.stdout)
    if out is not None:
        _save(trainer, out)
    return code


def _save(trainer: Trainer, out: Path) -> None:
    from bpsim.lessons.files import save_trainer

    try:
        save_trainer(trainer, out)
    except LessonFileError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"{out}: cannot write: {error.strerror or error}") from None


def _write_text(text: str, out: str | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    from bpsim.fileformat.atomic import atomic_write_bytes

    path = _check_writable(out)
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except OSError as error:
        raise CliError(f"{out}: cannot write: {error.strerror or error}") from None


def explain(args: argparse.Namespace) -> int:
    """One step on the first batch, written out as the seeds write theirs."""
    from bpsim.teaching.worked_example import run_explained_step, to_html, to_json, to_markdown

    if args.out:
        _check_writable(args.out)
    trainer = _open(args.file)
    try:
        example = run_explained_step(trainer)
    except DivergenceError as error:
        raise CliError(f"{args.file}: {error}", code=EXIT_DIVERGED) from None
    render = {"markdown": to_markdown, "json": to_json, "html": to_html}[args.format]
    _write_text(render(example), args.out)
    return EXIT_OK


def check(args: argparse.Namespace) -> int:
    """Gradient check on the first batch; exit 1 when any relative error is over 1e-6."""
    import numpy as np

    from bpsim.core.gradcheck import PASS_THRESHOLD, gradient_check
    from bpsim.teaching.explain import names_for

    trainer = _open(args.file)
    rows = trainer.next_batch()
    net = trainer.network
    result = gradient_check(net, trainer.inputs[rows], trainer.targets[rows])
    names = names_for(net, trainer.lesson.view)
    print(f"{'parameter':<28} {'backprop':>14} {'finite diff.':>14} {'rel. error':>10}")
    for n, (a, num, err) in enumerate(
        zip(result.analytic, result.numeric, result.relative_error, strict=True)
    ):
        k, is_bias = divmod(n, 2)
        mask = net.masks[k] if not is_bias else None
        for index in np.ndindex(a.shape):
            if mask is not None and mask[index] == 0:
                continue
            if is_bias:
                name = names.bias(k, index[0], net.layers[k + 1].bias == "shared")
            else:
                name = f"{names.weight(k, *index)} ({net.weight_name(k, *index)})"
            flag = "" if err[index] <= PASS_THRESHOLD else "  ✗"
            print(f"{name:<28} {a[index]:>14.8g} {num[index]:>14.8g} {err[index]:>10.2e}{flag}")
    worst = result.max_relative_error
    verdict = "passed" if result.passed else "FAILED"
    print(f"largest relative error {worst:.3g} (threshold {PASS_THRESHOLD:g}): {verdict}")
    return EXIT_OK if result.passed else EXIT_CHECK_FAILED


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
    example = find_example(args.name)
    if example is None:
        names = ", ".join(e.name for e in EXAMPLES)
        raise CliError(f"unknown example '{args.name}'; expected one of {names}")
    _write_text(example.path.read_text(encoding="utf-8"), args.out)
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
    out = _check_writable(args.out)
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
            Path(args.file),
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

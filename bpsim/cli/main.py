"""The ``bpsim`` command: the window, or a headless sub-command.

``bpsim [--present] [FILE|NAME]`` opens the window (on a built-in lesson's NAME, such as
``xor``, or a file). ``bpsim train|explain|check|examples|screenshot …`` run without it;
none of them but ``screenshot`` imports Qt, and argument parsing imports nothing heavy,
so ``bpsim train --help`` answers at once.

Every problem a user can cause (a bad file, a bad argument) ends with exit code 2 and
one line on stderr beginning ``error:``, never a traceback, and nothing written. Every
message is escaped (:func:`bpsim.cli.output.escape`), so a file name holding ESC or a
line break cannot clear the screen or split the line. A closed pipe ends quietly; a full
device is one ``error:`` line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_DIVERGED = 3

SUBCOMMANDS = ("train", "explain", "check", "examples", "screenshot")
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A problem to report as ``error: …`` with exit code 2 (or ``code``)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class Parser(argparse.ArgumentParser):
    """argparse, but its complaints are one ``error:`` line that says where to look."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see '{self.prog} --help')")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    if value > 100_000_000:
        raise argparse.ArgumentTypeError(f"{value} is more than bpsim will run in one go")
    return value


def build_parser() -> Parser:
    parser = Parser(
        prog="bpsim",
        description="Teach backpropagation and gradient descent. With no command, open the window.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    train = sub.add_parser("train", help="train a lesson without the window")
    train.add_argument("file", metavar="FILE", help="a .bpsim lesson")
    train.add_argument(
        "--epochs", type=positive_int, default=100, help="epochs to train (default 100)"
    )
    train.add_argument(
        "--save", metavar="OUT", help="write the trained lesson, with its state, here"
    )
    train.add_argument("--quiet", action="store_true", help="print only the last epoch's line")

    explain = sub.add_parser("explain", help="write one training step out as a worked example")
    explain.add_argument("file", metavar="FILE", help="a .bpsim lesson")
    explain.add_argument(
        "--format", choices=("markdown", "json", "html"), default="markdown", help="output format"
    )
    explain.add_argument("--out", metavar="OUT", help="write to this file instead of the terminal")

    check = sub.add_parser(
        "check", help="compare backpropagation's gradients with finite differences"
    )
    check.add_argument("file", metavar="FILE", help="a .bpsim lesson")

    examples = sub.add_parser("examples", help="list the built-in lessons, or write one out")
    examples.add_argument("name", metavar="NAME", nargs="?", help="the example to write")
    examples.add_argument("--out", metavar="FILE", help="where to write it (default: the terminal)")

    shot = sub.add_parser("screenshot", help="render the window to a PNG, after some actions")
    shot.add_argument("file", metavar="FILE", help="a .bpsim lesson")
    shot.add_argument("out", metavar="OUT.png", help="the picture to write")
    shot.add_argument(
        "--after",
        default="",
        help="comma-separated actions first: forward, backward, update, step, epoch, "
        "forward_layer, backward_layer, reset",
    )
    shot.add_argument("--size", default="1600x1000", help="window size as WIDTHxHEIGHT")
    shot.add_argument(
        "--panel",
        choices=("window", "network_editor", "loss_plot", "parameter_table"),
        default="window",
    )
    shot.add_argument(
        "--presentation",
        action="store_true",
        help="in presentation mode (its theme and zoom unless --theme/--zoom say otherwise)",
    )
    shot.add_argument(
        "--theme", choices=("light", "high_contrast", "dark"), help="the colour theme"
    )
    shot.add_argument("--zoom", type=float, help="zoom factor, 0.5 to 3 (1: 100 %%)")
    return parser


def build_window_parser() -> Parser:
    parser = Parser(
        prog="bpsim",
        description="Open the bpsim window. Commands: " + ", ".join(SUBCOMMANDS) + ".",
    )
    parser.add_argument(
        "file", metavar="FILE|NAME", nargs="?", help="a .bpsim lesson, or a built-in lesson's name"
    )
    parser.add_argument(
        "--present", action="store_true", help="start in presentation mode (for a projector)"
    )
    return parser


def _commands() -> dict[str, Callable[[argparse.Namespace], int]]:
    from bpsim.cli import commands

    return {
        "train": commands.train,
        "explain": commands.explain,
        "check": commands.check,
        "examples": commands.examples,
        "screenshot": commands.screenshot,
    }


def no_display() -> bool:
    """True on Linux without a display to open a window on (Qt would abort)."""
    if not sys.platform.startswith("linux"):
        return False
    if os.environ.get("QT_QPA_PLATFORM"):
        return False  # offscreen, vnc, …: Qt was told where to draw
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(argv: Sequence[str]) -> int:
    """Parse and run; returns the exit code. Raises nothing a user can cause."""
    if argv and argv[0] in ("--version", "-V"):
        from bpsim import __version__

        print(f"bpsim {__version__}")
        return EXIT_OK
    if (argv and argv[0] in SUBCOMMANDS) or (argv and argv[0] in ("-h", "--help")):
        args = build_parser().parse_args(argv)
        return _commands()[args.command](args)
    args = build_window_parser().parse_args(argv)
    if no_display():
        raise CliError(
            "no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot "
            "open; run bpsim on a desktop, or use a command such as 'bpsim train' "
            "(see 'bpsim --help')"
        )
    source = None
    if args.file is not None:
        from bpsim.cli.commands import lesson_path

        lesson_path(args.file)  # refused here, in one line, before Qt starts
        # The window resolves a built-in lesson's name itself and opens it unsaved, so
        # Save never writes into the installed package.
        source = args.file
    from bpsim.gui.app import run_app

    return run_app(source, present=args.present)


def main(argv: Sequence[str] | None = None) -> int:
    from bpsim.cli import output

    argv = list(sys.argv[1:] if argv is None else argv)
    originals = output.install()
    try:
        code = _main(argv)
    finally:
        output.restore(originals)
    return code


def _main(argv: list[str]) -> int:
    from bpsim.cli.output import OutputClosed, OutputFailed, say
    from bpsim.fileformat.errors import escape

    try:
        code = run(argv)
        sys.stdout.flush()
    except CliError as error:
        say(f"error: {escape(error)}")
        code = error.code
    except OutputClosed:  # the reader went away (| head): end quietly, as Unix tools do
        code = EXIT_OK
    except OutputFailed as error:
        say(f"error: {escape(error)}")
        code = EXIT_USAGE
    except KeyboardInterrupt:
        say("error: interrupted")
        code = EXIT_INTERRUPTED
    except SystemExit as exit_:  # argparse's --help
        code = exit_.code if isinstance(exit_.code, int) else 0
    except Exception as error:  # a bug: say so plainly, without a traceback
        if os.environ.get("BPSIM_DEBUG"):
            raise
        say(
            f"error: bpsim failed unexpectedly ({type(error).__name__}: {escape(error)}). "
            "Set BPSIM_DEBUG=1 to see the details, and please report it."
        )
        code = 1
    return code

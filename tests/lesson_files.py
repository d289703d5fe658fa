"""Built-in lessons copied into a test's own folder, for tests that save, autosave or
crash over a lesson file without touching the bundled one."""

from __future__ import annotations

from pathlib import Path

from bpsim.lessons.examples import find_example


def lesson_copy(folder: Path, name: str = "xor") -> Path:
    """A byte-for-byte copy of the built-in lesson ``name``, at ``folder/NAME.bpsim``."""
    example = find_example(name)
    assert example is not None, name
    target = folder / f"{name}.bpsim"
    target.write_bytes(example.path.read_bytes())
    return target

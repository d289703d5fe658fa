"""What a wheel ships: every package on disk and every bundled file.

``pyproject.toml`` lists the packages by hand (``resources/`` is mapped to
``bpsim.resources``, which discovery cannot do), so a new folder under ``bpsim/`` that is
not listed would be missing from every non-editable install, and only there. These tests
catch that in the checkout; ``.ci/run`` also builds the wheel and opens every lesson from
it.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

from bpsim.lessons.examples import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def packages_on_disk() -> set[str]:
    """Every folder under bpsim/ holding Python files, as a dotted package name."""
    found = set()
    for path in (ROOT / "bpsim").rglob("*.py"):
        relative = path.parent.relative_to(ROOT)
        if "__pycache__" not in relative.parts:
            found.add(".".join(relative.parts))
    return found


def test_every_package_on_disk_is_listed() -> None:
    assert set(SETUPTOOLS["packages"]) == packages_on_disk() | {"bpsim.resources"}


def test_every_listed_package_has_an_init() -> None:
    folders = {name: ROOT / Path(*name.split(".")) for name in SETUPTOOLS["packages"]}
    folders["bpsim.resources"] = ROOT / SETUPTOOLS["package-dir"]["bpsim.resources"]
    without = [name for name, folder in folders.items() if not (folder / "__init__.py").is_file()]
    assert without == []


def _shipped(package: str, folder: Path, path: Path) -> bool:
    relative = path.relative_to(folder).as_posix()
    patterns = SETUPTOOLS["package-data"].get(package, [])
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)


def test_every_built_in_lesson_is_package_data() -> None:
    folder = ROOT / SETUPTOOLS["package-dir"]["bpsim.resources"]
    assert EXAMPLES, "no built-in lessons found"
    missing = [e.name for e in EXAMPLES if not _shipped("bpsim.resources", folder, e.path)]
    assert missing == []
    # and every lesson file in the folder is one of them (none forgotten in the list)
    on_disk = {p.name for p in (folder / "examples").glob("*.bpsim")}
    assert on_disk == {e.path.name for e in EXAMPLES}


def test_every_bundled_data_file_and_icon_is_package_data() -> None:
    folder = ROOT / SETUPTOOLS["package-dir"]["bpsim.resources"]
    files = [
        p
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"
    ]
    assert files
    left_out = [p for p in files if not _shipped("bpsim.resources", folder, p)]
    assert [str(p.relative_to(folder)) for p in left_out] == []


def test_the_user_guide_and_every_picture_it_shows_are_package_data() -> None:
    """Help ▸ Quick help links the guide, so a wheel must carry it with its pictures."""
    import re

    folder = ROOT / SETUPTOOLS["package-dir"]["bpsim.resources"]
    guide = folder / "help" / "user-guide.md"
    assert _shipped("bpsim.resources", folder, guide)
    pictures = re.findall(r"\]\((images/[^)\s]+)\)", guide.read_text(encoding="utf-8"))
    assert pictures, "the guide shows no pictures"
    missing = [p for p in pictures if not (guide.parent / p).is_file()]
    unshipped = [p for p in pictures if not _shipped("bpsim.resources", folder, guide.parent / p)]
    assert (missing, unshipped) == ([], [])

"""bpsim's bundled files: the built-in lessons, the data sets, the icon and the help.

This folder sits at the top of the repository but is installed as the package
``bpsim.resources`` (see ``package-dir`` in ``pyproject.toml``), so a wheel, ``pipx`` and
an editable checkout all find the files the same way: through :func:`resource`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource(*parts: str) -> Path:
    """The path of a bundled file, e.g. ``resource("examples", "03_xor.bpsim")``."""
    # Installed from a wheel or a checkout, the package is a folder on disk, so its
    # Traversable is a real Path that Qt, gzip and open() can all use.
    return Path(str(files(__name__).joinpath(*parts)))

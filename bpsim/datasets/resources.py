"""Where the bundled files live: the package ``bpsim.resources``, wherever it is installed."""

from __future__ import annotations

from pathlib import Path

from bpsim.resources import resource


def resources_dir() -> Path:
    """The folder of the package ``bpsim.resources`` (``data/``, ``examples/``, ``icons/``)."""
    return resource()

"""Where the bundled files live, found from the package so no working directory matters."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    """The ``resources`` folder beside the ``bpsim`` package (holds ``data/``, ``examples/``)."""
    return Path(__file__).resolve().parents[2] / "resources"

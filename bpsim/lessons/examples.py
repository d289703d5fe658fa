"""The built-in lessons in ``resources/examples``, by short name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bpsim.resources import resource


@dataclass(frozen=True)
class Example:
    name: str  # what the command line and the File ▸ New menu call it
    filename: str
    title: str

    @property
    def path(self) -> Path:
        return resource("examples", self.filename)


EXAMPLES: tuple[Example, ...] = (
    Example(
        "worked-example", "01_seed000_worked_example.bpsim", "The 2-2-2 worked example (seed 000)"
    ),
    Example(
        "and", "02_seed001_and_network.bpsim", "The AND network with one-hot outputs (seed 001)"
    ),
    Example("xor", "03_xor.bpsim", "XOR needs a hidden layer"),
    Example(
        "house-prices",
        "04_seed002_house_prices.bpsim",
        "A straight line through house prices (seed 002)",
    ),
    Example("tanh", "05_seed004_tanh_network.bpsim", "A tanh network without biases (seed 004)"),
    Example("digits", "06_digits.bpsim", "Handwritten digits, 64-20-20-10 (seed 002's idea)"),
)

DEFAULT_EXAMPLE = EXAMPLES[0]


def find_example(name: str) -> Example | None:
    for example in EXAMPLES:
        if example.name == name:
            return example
    return None

"""The one error every data-set problem becomes, so callers catch a single type, and the
one way a message shows a value a file gave (the file format's messages use it too)."""

from __future__ import annotations

import math


class DatasetError(ValueError):
    """A data set could not be made or read.

    ``place`` says where, relative to the file's ``dataset`` object (``"noise"``,
    ``"csv"``, ``"row 5, column 'price'"``), so the file loader can prefix it with its
    own path; ``str(error)`` is ``"place: message"``.
    """

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.place = place
        self.message = message

    def __reduce__(self) -> tuple[type[DatasetError], tuple[str, str]]:
        # ValueError pickles its ``args`` (the joined text); rebuild from the parts instead.
        return (type(self), (self.place, self.message))


def show(value: object) -> str:
    """A value as it looks in JSON, cut short so a message stays on one line: strings
    quoted with every control character escaped, long numbers and containers named."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    if isinstance(value, int):
        try:
            text = int.__repr__(value)
        except ValueError:  # over the 4,300 digits Python will print
            return "a number too long to show"
        return text if len(text) <= 40 else f"a {len(text)}-digit number"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"

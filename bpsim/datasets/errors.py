"""The one error every data-set problem becomes, so callers catch a single type."""

from __future__ import annotations


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

"""The loss curve: one value per training step and one per epoch, in growable arrays.

Appending is amortised O(1) (the buffer doubles when full) and reading hands out views of
the filled part, so a plot can ``setData`` on a slice without copying. Rewinding truncates.
"""

from __future__ import annotations

import numpy as np


class GrowableArray:
    """A float64 vector that grows by doubling; ``values`` is a view of what was appended."""

    def __init__(self, capacity: int = 1024) -> None:
        self._data = np.empty(max(capacity, 16))
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def append(self, value: float) -> None:
        if self._length == self._data.shape[0]:
            grown = np.empty(self._data.shape[0] * 2)
            grown[: self._length] = self._data
            self._data = grown
        self._data[self._length] = value
        self._length += 1

    def extend(self, values: np.ndarray) -> None:
        for value in np.asarray(values, dtype=np.float64).ravel():
            self.append(float(value))

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._length]

    def truncate(self, length: int) -> None:
        """Forget everything after the first ``length`` values (rewinding)."""
        self._length = min(self._length, max(0, length))


class History:
    """Training loss per step (before that step's update) and train/validation loss per epoch.

    An epoch's training loss is the mean of its batches' losses weighted by batch size;
    its validation loss is measured on the held-out samples after the epoch's last update
    (NaN when there is no validation set).
    """

    def __init__(self) -> None:
        self.step_loss = GrowableArray()
        self.epoch_train_loss = GrowableArray(64)
        self.epoch_val_loss = GrowableArray(64)

    def lengths(self) -> tuple[int, int]:
        return len(self.step_loss), len(self.epoch_train_loss)

    def truncate(self, lengths: tuple[int, int]) -> None:
        steps, epochs = lengths
        self.step_loss.truncate(steps)
        self.epoch_train_loss.truncate(epochs)
        self.epoch_val_loss.truncate(epochs)

    def to_dict(self) -> dict[str, list[float | None]]:
        """JSON-ready (a missing validation loss is ``null``)."""
        val = [None if np.isnan(v) else float(v) for v in self.epoch_val_loss.values]
        return {
            "step_loss": self.step_loss.values.tolist(),
            "epoch_train_loss": self.epoch_train_loss.values.tolist(),
            "epoch_val_loss": val,
        }

    @classmethod
    def from_dict(cls, data: dict[str, list[float | None]]) -> History:
        history = cls()
        history.step_loss.extend(np.asarray(data.get("step_loss", []), dtype=np.float64))
        history.epoch_train_loss.extend(
            np.asarray(data.get("epoch_train_loss", []), dtype=np.float64)
        )
        val = [np.nan if v is None else v for v in data.get("epoch_val_loss", [])]
        history.epoch_val_loss.extend(np.asarray(val, dtype=np.float64))
        return history

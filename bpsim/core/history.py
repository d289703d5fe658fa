"""The loss curve: one value per training step and one per epoch, in bounded memory.

Each series keeps (x, y) pairs in growable arrays: appending is amortised O(1) and reading
hands out views, so a plot can ``setData`` on them without copying. A series holds at most
``capacity`` points; when full, its older half is compacted four points to two, keeping
each group's lowest and highest value in the order they came (what a plot's peak
downsampling would show). The last steps always stay at full resolution, so a curve of a
million steps costs the same memory as one of ``capacity`` steps, and a spike (the start
of divergence) never disappears. Rewinding truncates after a step number.
"""

from __future__ import annotations

import numpy as np

#: Points per series: 2 MiB of x and y at most, some 60 points per pixel of a full-screen
#: plot. (It was 2**20, which a million-step run never reached: memory grew all the way,
#: twice over with the rewind timeline's copy, and a saved file held 50 MB of losses.)
DEFAULT_CAPACITY = 1 << 17


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
        values = np.asarray(values, dtype=np.float64).ravel()
        needed = self._length + values.size
        if needed > self._data.shape[0]:
            grown = np.empty(max(needed, self._data.shape[0] * 2))
            grown[: self._length] = self._data[: self._length]
            self._data = grown
        self._data[self._length : needed] = values
        self._length = needed

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._length]

    def truncate(self, length: int) -> None:
        """Forget everything after the first ``length`` values."""
        self._length = min(self._length, max(0, length))

    def replace(self, values: np.ndarray) -> None:
        """Hold exactly ``values`` (after compaction)."""
        self._length = 0
        self.extend(values)


class LossSeries:
    """A loss curve: x (step or epoch number) and y (loss), bounded by ``capacity``."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = max(capacity, 64)
        self._x = GrowableArray(1024)
        self._y = GrowableArray(1024)
        self.compacted = False  # True once old points were thinned out

    def __len__(self) -> int:
        return len(self._y)

    @property
    def values(self) -> np.ndarray:
        """The losses (a view)."""
        return self._y.values

    @property
    def x(self) -> np.ndarray:
        """The step or epoch number of each loss (a view)."""
        return self._x.values

    def append(self, x: float, y: float) -> None:
        xs, ys = self._x, self._y
        n = ys._length
        if n < ys._data.shape[0] and n < xs._data.shape[0]:  # the usual case, inlined
            xs._data[n] = x
            ys._data[n] = y
            xs._length = ys._length = n + 1
        else:
            xs.append(x)
            ys.append(y)
        if n + 1 >= self.capacity:
            self._compact()

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append many points: exactly what appending them one by one gives (the Run
        loop adds a block of steps' losses at once)."""
        count = len(y)
        if len(self._y) + count < self.capacity:
            self._x.extend(x)
            self._y.extend(y)
            return
        for px, py in zip(np.asarray(x).tolist(), np.asarray(y).tolist(), strict=True):
            self.append(px, py)

    def copy(self) -> LossSeries:
        twin = LossSeries(self.capacity)
        twin.set(self.x.copy(), self.values.copy())
        twin.compacted = self.compacted
        return twin

    def _compact(self) -> None:
        """Thin the older half: each run of four points keeps its lowest and highest."""
        n = len(self._y)
        old = (n // 2) // 4 * 4
        x, y = self._x.values, self._y.values
        groups_y = y[:old].reshape(-1, 4)
        groups_x = x[:old].reshape(-1, 4)
        lo = groups_y.argmin(axis=1)
        hi = groups_y.argmax(axis=1)
        first = np.minimum(lo, hi)
        second = np.maximum(lo, hi)
        second = np.where(first == second, (first + 1) % 4, second)  # flat groups keep two
        rows = np.arange(len(groups_y))
        keep_x = np.column_stack((groups_x[rows, first], groups_x[rows, second])).ravel()
        keep_y = np.column_stack((groups_y[rows, first], groups_y[rows, second])).ravel()
        order = np.argsort(keep_x, kind="stable")
        new_x = np.concatenate((keep_x[order], x[old:]))
        new_y = np.concatenate((keep_y[order], y[old:]))
        self._x.replace(new_x)
        self._y.replace(new_y)
        self.compacted = True

    def truncate_after(self, x: float) -> None:
        """Forget every point whose x is beyond ``x`` (rewinding)."""
        keep = int(np.searchsorted(self._x.values, x, side="right"))
        self._x.truncate(keep)
        self._y.truncate(keep)

    def last(self) -> float:
        return float(self._y.values[-1]) if len(self._y) else float("nan")

    def set(self, x: np.ndarray, y: np.ndarray) -> None:
        self._x.replace(x)
        self._y.replace(y)


class History:
    """Training loss per step (before that step's update) and train/validation loss per epoch.

    An epoch's training loss is the mean of its batches' losses weighted by batch size;
    its validation loss is measured on the held-out samples after the epoch's last update
    (NaN when there is no validation set).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.step_loss = LossSeries(capacity)
        self.epoch_train_loss = LossSeries(capacity)
        self.epoch_val_loss = LossSeries(capacity)

    def add_step(self, step: int, loss: float) -> None:
        self.step_loss.append(step, loss)

    def add_epoch(self, epoch: int, train: float, validation: float) -> None:
        self.epoch_train_loss.append(epoch, train)
        self.epoch_val_loss.append(epoch, validation)

    def copy(self) -> History:
        """An independent copy (a rewind across a compaction needs the points as they were)."""
        twin = History(self.step_loss.capacity)
        twin.step_loss = self.step_loss.copy()
        twin.epoch_train_loss = self.epoch_train_loss.copy()
        twin.epoch_val_loss = self.epoch_val_loss.copy()
        return twin

    def room(self) -> int:
        """How many more points a series takes before it compacts."""
        return min(
            s.capacity - 1 - len(s)
            for s in (self.step_loss, self.epoch_train_loss, self.epoch_val_loss)
        )

    def truncate_to(self, step: int, epoch: int) -> None:
        """Back to the moment after step ``step`` and epoch ``epoch`` (rewinding)."""
        self.step_loss.truncate_after(step)
        self.epoch_train_loss.truncate_after(epoch)
        self.epoch_val_loss.truncate_after(epoch)

    def lengths(self) -> tuple[int, int]:
        """How many step and epoch points are held (changes when compaction thins them)."""
        return len(self.step_loss), len(self.epoch_train_loss)

    def truncate(self, lengths: tuple[int, int]) -> None:
        """Keep the first ``lengths`` points (see :meth:`lengths`); prefer ``truncate_to``,
        which stays right across compaction."""
        steps, epochs = lengths
        for series, keep in (
            (self.step_loss, steps),
            (self.epoch_train_loss, epochs),
            (self.epoch_val_loss, epochs),
        ):
            series._x.truncate(keep)
            series._y.truncate(keep)

    def memory_bytes(self) -> int:
        series = (self.step_loss, self.epoch_train_loss, self.epoch_val_loss)
        return sum(s._x._data.nbytes + s._y._data.nbytes for s in series)

    def to_dict(self) -> dict[str, list[float | None]]:
        """JSON-ready (a missing validation loss is ``null``). Step and epoch numbers are
        written only once a series has been compacted; until then they are 1, 2, 3, …"""
        # over Python floats (v != v is NaN): 20× faster than np.isnan per NumPy scalar,
        # which made saving a long run (and the autosave) pause the window
        val = [None if v != v else v for v in self.epoch_val_loss.values.tolist()]
        out: dict[str, list] = {
            "step_loss": self.step_loss.values.tolist(),
            "epoch_train_loss": self.epoch_train_loss.values.tolist(),
            "epoch_val_loss": val,
        }
        if self.step_loss.compacted:
            out["step_numbers"] = [int(v) for v in self.step_loss.x]
        if self.epoch_train_loss.compacted:
            out["epoch_numbers"] = [int(v) for v in self.epoch_train_loss.x]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, list]) -> History:
        history = cls()
        steps = np.asarray(data.get("step_loss", []), dtype=np.float64)
        step_x = data.get("step_numbers")
        history.step_loss.set(
            np.asarray(step_x, dtype=np.float64)
            if step_x is not None
            else np.arange(1, len(steps) + 1.0),
            steps,
        )
        history.step_loss.compacted = step_x is not None
        train = np.asarray(data.get("epoch_train_loss", []), dtype=np.float64)
        val = np.asarray(
            [np.nan if v is None else v for v in data.get("epoch_val_loss", [])], dtype=np.float64
        )
        epoch_x = data.get("epoch_numbers")
        xs = (
            np.asarray(epoch_x, dtype=np.float64)
            if epoch_x is not None
            else np.arange(1, len(train) + 1.0)
        )
        history.epoch_train_loss.set(xs, train)
        history.epoch_val_loss.set(xs.copy(), val)
        history.epoch_train_loss.compacted = history.epoch_val_loss.compacted = epoch_x is not None
        return history

"""All parameters in one flat float64 vector, with per-layer views into it.

``weights[k]`` and ``biases[k]`` are views of one buffer (in file order W0, b0, W1, b1, …),
and so are the gradients and the last update. A whole-network operation (an optimizer
step, a finiteness check, a snapshot) is then one NumPy call instead of one per array,
which is what makes small networks fast; the per-layer views keep the maths readable.

:class:`OptimizerRunner` runs an optimizer over those parameters: on the one flat vector
when every array trains in lockstep (the usual case), or array by array when some are
frozen or their step counts differ (PyTorch keeps state per tensor, and so do we then).
The file always stores the optimizer state per array.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bpsim.core.optimizers import SGD, Optimizer, OptimizerStateError, make_optimizer
from bpsim.core.spec import OptimizerSpec

if TYPE_CHECKING:
    from bpsim.core.network import Network, Trace

Shape = tuple[int, ...]


class ParameterLayout:
    """Where each parameter array sits in the flat vector."""

    def __init__(self, shapes: Sequence[Shape]) -> None:
        self.shapes: list[Shape] = [tuple(int(n) for n in s) for s in shapes]
        self.sizes = [math.prod(s) for s in self.shapes]
        self.offsets = [0]
        for size in self.sizes:
            self.offsets.append(self.offsets[-1] + size)
        self.total = self.offsets[-1]

    def views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Per-array views of ``flat`` (writing to a view writes to ``flat``)."""
        return [
            flat[start:stop].reshape(shape)
            for start, stop, shape in zip(self.offsets, self.offsets[1:], self.shapes, strict=False)
        ]

    def new(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """A zeroed flat vector and its views."""
        flat = np.zeros(self.total)
        return flat, self.views(flat)

    def index_of(self, flat_index: int) -> tuple[int, tuple[int, ...]]:
        """Which array, and where in it, a flat index falls."""
        for n, (start, stop) in enumerate(zip(self.offsets, self.offsets[1:], strict=False)):
            if start <= flat_index < stop:
                return n, tuple(
                    int(i) for i in np.unravel_index(flat_index - start, self.shapes[n])
                )
        raise IndexError(flat_index)


class OptimizerRunner:
    """An optimizer over the network's parameters, flat when it can be."""

    def __init__(
        self, spec: OptimizerSpec, layout: ParameterLayout, trainable: Sequence[bool]
    ) -> None:
        self.layout = layout
        self.trainable = list(trainable)
        self.flat_mode = all(self.trainable)
        self.optimizer: Optimizer = self._make(spec.name, dict(spec.hyper))

    def _make(self, name: str, hyper: dict[str, float | bool]) -> Optimizer:
        shapes = [(self.layout.total,)] if self.flat_mode else self.layout.shapes
        return make_optimizer(OptimizerSpec(name, hyper), shapes)

    @property
    def name(self) -> str:
        return self.optimizer.name

    @property
    def hyper(self) -> dict[str, float | bool]:
        return self.optimizer.hyper

    # -- the update ------------------------------------------------------------------

    def propose(
        self,
        network: Network,
        trace: Trace,
        flat_delta: np.ndarray,
        deltas: list[np.ndarray],
        inplace: bool = False,
    ) -> None:
        """Write Δ into ``flat_delta`` (whose views are ``deltas``) from the trace's
        gradients; see Optimizer.propose (``inplace``: propose and commit in one)."""
        if inplace and self.flat_mode and self.optimizer.name == "sgd":
            hyper = self.optimizer.hyper
            if hyper["momentum"] == 0 and hyper["weight_decay"] == 0:
                # plain SGD: Δ = g·(−η), SGD's one operation, without its bookkeeping
                np.multiply(trace.flat_grads, -float(hyper["learning_rate"]), out=flat_delta)
                self.optimizer.count_steps(1, (True,))
                return
        if self.flat_mode:
            self.optimizer.propose(
                (network.flat,), (trace.flat_grads,), (True,), (flat_delta,), inplace
            )
        else:
            self.optimizer.propose(
                network.parameter_arrays(),
                trace.gradient_arrays(),
                self.trainable,
                deltas,
                inplace,
            )

    def commit(self) -> None:
        self.optimizer.commit()

    def momentum_started(self) -> bool:
        """SGD: whether every trainable array's momentum buffer has started."""
        optimizer = self.optimizer
        trainable = [True] if self.flat_mode else self.trainable
        return isinstance(optimizer, SGD) and optimizer.has_momentum_buffers(trainable)

    def count_steps(self, count: int) -> None:
        self.optimizer.count_steps(count, [True] if self.flat_mode else self.trainable)

    def nonfinite_state(self, pending: bool = False) -> str | None:
        """The first state buffer that is not finite (see Optimizer.nonfinite_state)."""
        return self.optimizer.nonfinite_state(pending)

    # -- reading ---------------------------------------------------------------------

    def buffer_names(self) -> tuple[str, ...]:
        return self.optimizer.buffer_names()

    def buffers(self) -> dict[str, list[np.ndarray]]:
        """The state per parameter array, by PyTorch's buffer names (views; read only)."""
        raw = self.optimizer.buffers()
        if not self.flat_mode:
            return raw
        return {name: self.layout.views(arrays[0]) for name, arrays in raw.items()}

    def steps(self) -> list[int]:
        steps = self.optimizer.steps()
        return steps * len(self.layout.shapes) if self.flat_mode else steps

    # -- files and snapshots -----------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Per parameter array, as the file stores it."""
        state = self.optimizer.state_dict()
        if not self.flat_mode:
            return state
        n = len(self.layout.shapes)
        out: dict[str, Any] = {"step": state["step"] * n}
        for key, entries in state.items():
            if key == "step":
                continue
            flat = entries[0]
            if flat is None:
                out[key] = [None] * n
            else:
                out[key] = [
                    v.tolist() for v in self.layout.views(np.asarray(flat, dtype=np.float64))
                ]
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take a per-array state; switches to per-array mode when it cannot run flat.
        Raises OptimizerStateError naming the place; nothing changes then."""
        steps = state.get("step")
        mergeable = (
            all(self.trainable)
            and isinstance(steps, list)
            and len(steps) == len(self.layout.shapes)
            and len(set(map(repr, steps))) <= 1
        )
        if mergeable and isinstance(steps, list):  # (the list check again, for mypy)
            merged: dict[str, Any] = {"step": steps[:1]}
            for key, entries in state.items():
                if key == "step":
                    continue
                if not isinstance(entries, list) or len(entries) != len(self.layout.shapes):
                    mergeable = False
                    break
                if all(e is None for e in entries):
                    merged[key] = [None]
                elif any(e is None for e in entries):
                    mergeable = False
                    break
                else:
                    parts = []
                    for i, (entry, shape) in enumerate(
                        zip(entries, self.layout.shapes, strict=True)
                    ):
                        try:
                            array = np.array(entry, dtype=np.float64)
                        except (TypeError, ValueError):
                            raise OptimizerStateError(
                                f"{key}[{i}]", f"expected numbers shaped {shape}"
                            ) from None
                        if array.shape != shape and not (array.size == 0 and math.prod(shape) == 0):
                            raise OptimizerStateError(
                                f"{key}[{i}]", f"expected shape {shape}, got {array.shape}"
                            )
                        parts.append(array.reshape(-1))
                    merged[key] = [np.concatenate(parts).tolist() if parts else []]
            if mergeable:
                candidate = self._with_mode(True)
                candidate.load_state_dict(merged)
                self.flat_mode, self.optimizer = True, candidate
                return
        candidate = self._with_mode(False)
        candidate.load_state_dict(state)
        self.flat_mode, self.optimizer = False, candidate

    def _with_mode(self, flat: bool) -> Optimizer:
        shapes = [(self.layout.total,)] if flat else self.layout.shapes
        return make_optimizer(
            OptimizerSpec(self.optimizer.name, dict(self.optimizer.hyper)), shapes
        )

    def snapshot(self) -> tuple[bool, object]:
        return self.flat_mode, self.optimizer.snapshot()

    def restore(self, snapshot: tuple[bool, object]) -> None:
        flat, inner = snapshot
        if flat != self.flat_mode:
            self.flat_mode = flat
            self.optimizer = self._with_mode(flat)
        self.optimizer.restore(inner)

    def reset(self) -> None:
        self.optimizer.reset()

    def set_trainable(self, trainable: Sequence[bool]) -> None:
        """Freeze or unfreeze arrays, keeping the state (moved between modes as needed)."""
        state = self.state_dict()
        self.trainable = list(trainable)
        self.load_state_dict(state)

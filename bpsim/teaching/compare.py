"""Comparing runs: the same starting network trained with different optimizers or learning
rates, side by side, so their loss curves can be overlaid.

Every run is its own :class:`Trainer` built from the same lesson with only the optimizer
changed, so all start from bit-identical parameters, see the same batches in the same
order and differ only by the update rule. A run that diverges stops (its last finite
state is kept) and the others go on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bpsim.core.initializers import initial_parameters
from bpsim.core.spec import Lesson, OptimizerSpec, Parameters
from bpsim.core.trainer import Divergence, DivergenceError, Trainer


@dataclass
class RunResult:
    """One finished run: its loss curves (copies) and where its parameters ended."""

    label: str
    optimizer: OptimizerSpec
    step_loss: np.ndarray  # the loss of every step, before its update
    step_numbers: np.ndarray  # the step each loss belongs to (the curve's x)
    epoch_loss: np.ndarray  # the training loss of every completed epoch
    epoch_val_loss: np.ndarray  # NaN where there is no validation set
    parameters: Parameters
    steps: int
    epochs: int
    divergence: Divergence | None = None
    stopped: str | None = None  # early stopping's message

    @property
    def final_loss(self) -> float:
        """The last step's loss (NaN before the first step)."""
        return float(self.step_loss[-1]) if len(self.step_loss) else math.nan


def _complete(spec: OptimizerSpec) -> OptimizerSpec:
    """PyTorch's defaults for every hyper-parameter not given (refuses a missing
    learning rate where there is no default)."""
    return OptimizerSpec.with_defaults(spec.name, **spec.hyper)


class Run:
    """One of the compared runs, trained by its own :class:`Trainer`."""

    def __init__(self, label: str, trainer: Trainer) -> None:
        self.label = label
        self.trainer = trainer
        self.divergence: Divergence | None = None

    @property
    def finished(self) -> bool:
        """Diverged or stopped early: advancing does nothing more."""
        return self.divergence is not None or self.trainer.stopped is not None

    @property
    def step_loss(self) -> np.ndarray:
        """The per-step loss so far (a view: copy it to keep it)."""
        return self.trainer.history.step_loss.values

    @property
    def step_numbers(self) -> np.ndarray:
        """The step of each entry of :attr:`step_loss` (a view; the x of the curve, which
        thins out old points on very long runs)."""
        return self.trainer.history.step_loss.x

    @property
    def epoch_loss(self) -> np.ndarray:
        return self.trainer.history.epoch_train_loss.values

    @property
    def epoch_val_loss(self) -> np.ndarray:
        return self.trainer.history.epoch_val_loss.values

    def advance(self, steps: int) -> int:
        """Up to ``steps`` more steps; returns how many were taken."""
        if self.finished or steps <= 0:
            return 0
        before = self.trainer.step_count
        try:
            self.trainer.run_steps(steps)
        except DivergenceError as error:
            self.divergence = error.divergence
        return self.trainer.step_count - before

    def advance_epochs(self, epochs: int) -> int:
        """Up to ``epochs`` more whole epochs; returns how many steps were taken."""
        before = self.trainer.step_count
        for _ in range(max(epochs, 0)):
            if self.finished:
                break
            try:
                self.trainer.run_epoch()
            except DivergenceError as error:
                self.divergence = error.divergence
        return self.trainer.step_count - before

    def result(self) -> RunResult:
        t = self.trainer
        return RunResult(
            label=self.label,
            optimizer=OptimizerSpec(t.optimizer.name, dict(t.optimizer.hyper)),
            step_loss=self.step_loss.copy(),
            step_numbers=self.step_numbers.copy(),
            epoch_loss=self.epoch_loss.copy(),
            epoch_val_loss=self.epoch_val_loss.copy(),
            parameters=t.network.parameters(),
            steps=t.step_count,
            epochs=t.epoch,
            divergence=self.divergence,
            stopped=t.stopped,
        )


class ComparisonRun:
    """Several runs from one starting point, advanced together (for the compare window,
    which calls :meth:`advance` a chunk at a time and redraws the curves).

    The start is the lesson's parameters (its ``parameters``, else the ones its ``init``
    draws) with a fresh optimizer and no history: pass ``trainer.to_lesson()`` to compare
    from where the simulator stands, or a lesson with ``parameters=trainer.initial`` to
    compare from the very beginning. Batch size, shuffling, validation split and early
    stopping are the lesson's, the same for every run.
    """

    def __init__(self, lesson: Lesson, variants: Sequence[tuple[str, OptimizerSpec]]) -> None:
        if not variants:
            raise ValueError("compare at least one run")
        # drawn once: every run starts from these very bits
        start = (lesson.parameters or initial_parameters(lesson.layers, lesson.init)).copy()
        self.runs: list[Run] = []
        for label, spec in variants:
            variant = replace(
                lesson, optimizer=_complete(spec), parameters=start.copy(), state=None
            )
            self.runs.append(Run(str(label), Trainer(variant)))
        self.start = start

    @property
    def labels(self) -> list[str]:
        return [run.label for run in self.runs]

    @property
    def finished(self) -> bool:
        return all(run.finished for run in self.runs)

    def advance(self, steps: int) -> list[int]:
        """Every run up to ``steps`` more steps; returns how many each took."""
        return [run.advance(steps) for run in self.runs]

    def advance_epochs(self, epochs: int) -> list[int]:
        """Every run up to ``epochs`` more epochs; returns how many steps each took."""
        return [run.advance_epochs(epochs) for run in self.runs]

    def step_losses(self) -> list[np.ndarray]:
        """Each run's per-step loss so far (views), in the order of the variants."""
        return [run.step_loss for run in self.runs]

    def epoch_losses(self) -> list[np.ndarray]:
        return [run.epoch_loss for run in self.runs]

    def results(self) -> list[RunResult]:
        return [run.result() for run in self.runs]


def compare_runs(
    lesson: Lesson,
    variants: Sequence[tuple[str, OptimizerSpec]],
    steps: int | None = None,
    epochs: int | None = None,
) -> list[RunResult]:
    """Train the lesson's starting network once per variant, for ``steps`` steps or
    ``epochs`` epochs (exactly one of them), and return each run's curves and final
    parameters, in the order of the variants."""
    if (steps is None) == (epochs is None):
        raise ValueError("give either steps or epochs")
    comparison = ComparisonRun(lesson, variants)
    if steps is not None:
        comparison.advance(steps)
    else:
        comparison.advance_epochs(epochs or 0)
    return comparison.results()

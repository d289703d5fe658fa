"""Check gradients without freezing the window.

The check runs on a copy of the network, so the session's weights are never touched off
the GUI thread (Cancel leaves them bit for bit as they were, and training may even go on).
The parameters it looks at come from :func:`bpsim.core.gradcheck.plan_check`, the rule
``bpsim check`` follows too: every parameter when that takes a few seconds, else a random
sample, and the verdict says so. A check short enough to be instant runs at once (the
table shows it before ``check_gradients`` returns); a longer one runs on the thread pool
with a progress dialog and Cancel, and shows when it is done, unless the weights or the
batch changed meanwhile.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtWidgets import QWidget

from bpsim.core.gradcheck import (
    CHECK_SEED,
    PASS_THRESHOLD,
    CheckPlan,
    GradientCheck,
    analytic_gradients,
    numeric_gradient,
    plan_check,
    relative_error,
)
from bpsim.core.network import Network
from bpsim.gui.state.session import Session
from bpsim.gui.widgets.progress_task import Progress, ProgressTask
from bpsim.text import fmt

#: Loss evaluations a check may take on the GUI thread (about a tenth of a second on the
#: lessons' networks); more goes to the background.
AT_ONCE_WORK = 2e7


@dataclass
class SampledCheck(GradientCheck):
    """A check of some parameters: the others are NaN in ``numeric`` and
    ``relative_error`` (the table leaves their cells empty)."""

    checked: int = 0
    total: int = 0

    @property
    def max_relative_error(self) -> float:
        worst = [float(np.nanmax(e)) for e in self.relative_error if np.isfinite(e).any()]
        return max(worst, default=0.0)


def run_check(
    network: Network,
    inputs: np.ndarray,
    targets: np.ndarray,
    plan: CheckPlan,
    progress: Progress | None = None,
) -> SampledCheck:
    """The check of ``plan``'s parameters on ``network`` (put back bit for bit)."""
    analytic = analytic_gradients(network, inputs, targets)
    numeric = [np.zeros_like(a) for a in analytic]
    done = 0
    for n, positions in enumerate(plan.positions):
        flat = numeric[n].reshape(-1)
        for position in positions:
            if progress is not None:
                progress(done, plan.count)
            flat[position] = numeric_gradient(network, n, int(position), inputs, targets)
            done += 1
    if progress is not None:
        progress(done, plan.count)
    errors = [relative_error(a, m) for a, m in zip(analytic, numeric, strict=True)]
    if plan.sampled:  # the cells not looked at are empty, not "0 ✓"
        for n, positions in enumerate(plan.positions):
            unchecked = np.ones(numeric[n].size, dtype=bool)
            unchecked[positions] = False
            numeric[n].reshape(-1)[unchecked] = np.nan
            errors[n].reshape(-1)[unchecked] = np.nan
    return SampledCheck(analytic, numeric, errors, checked=done, total=plan.total)


def verdict(check: SampledCheck, samples: int) -> str:
    """The status line: the batch, how many parameters, the largest error, pass or fail."""
    scope = ""
    if check.checked < check.total:
        scope = (
            f", {check.checked:,} of {check.total:,} parameters chosen at random "
            f"(seed {CHECK_SEED}: too many to check every one in a few seconds)"
        )
    mark = "✓ passed" if check.passed else "✗ failed"
    return (
        f"Gradient check on {samples} sample{'s' if samples != 1 else ''}{scope}: "
        f"largest relative error {fmt(check.max_relative_error, 2)} — {mark} "
        f"(threshold {PASS_THRESHOLD:g})"
    )


class GradientCheckRunner:
    """Starts checks for the parameter table (``show`` puts one in its columns, ``say``
    reports a verdict or a refusal); ``task`` is the one in the background, if any."""

    def __init__(
        self,
        parent: QWidget,
        session: Session,
        show: Callable[[GradientCheck, np.ndarray], None],
        say: Callable[[str], None],
    ) -> None:
        self.parent = parent
        self.session = session
        self.show = show
        self.say = say
        self.task: ProgressTask | None = None

    def start(self, rows: np.ndarray) -> bool | None:
        """Check on the batch ``rows``: True or False when it ran at once (passed or not),
        None when it went to the background (or one is running there already)."""
        if self.task is not None and self.task.running():
            self.say("A gradient check is running already: wait for it, or Cancel it.")
            return None
        trainer = self.session.trainer
        network = copy.deepcopy(trainer.network)  # the session's weights stay untouched
        inputs, targets = trainer.inputs[rows].copy(), trainer.targets[rows].copy()
        rows = np.asarray(rows).copy()
        plan = plan_check(network, inputs, targets)
        work = 2.0 * plan.count * max(len(rows), 1) * max(network.flat.size, 1)
        if work <= AT_ONCE_WORK:
            check = run_check(network, inputs, targets, plan)
            self.show(check, rows)
            self.say(verdict(check, len(rows)))
            return check.passed
        before = trainer.network.flat.copy()

        def finished(result: object) -> None:
            assert isinstance(result, SampledCheck)
            now = self.session.trainer
            same_batch = now is trainer and np.array_equal(now.network.flat, before)
            if not same_batch:
                self.say("The weights changed during the gradient check: check again.")
                return
            self.show(result, rows)
            self.say(verdict(result, len(rows)))

        task = ProgressTask(
            self.parent,
            "Checking gradients",
            "Comparing backpropagation with finite differences on "
            + (
                f"{plan.count:,} of {plan.total:,} parameters, chosen at random…"
                if plan.sampled
                else f"all {plan.total:,} parameters…"
            ),
            lambda progress: run_check(network, inputs, targets, plan, progress),
        )
        task.succeeded.connect(finished)
        task.cancelled.connect(
            lambda: self.say(
                f"Gradient check cancelled after {task.done:,} of {plan.count:,} "
                "parameters; nothing changed."
            )
        )
        task.failed.connect(lambda text: self.say(f"The gradient check failed: {text}"))
        if self.task is not None:
            self.task.deleteLater()  # the last one, kept for its outcome until now
        self.task = task
        task.start()
        return None


__all__ = ["GradientCheckRunner", "SampledCheck", "run_check", "verdict"]

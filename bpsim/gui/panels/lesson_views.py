"""Which pictures a lesson opens with, as its seed draws it: the decision map for a
problem in the plane (as TensorFlow Playground does), the line through the data and the
(a, b) loss landscape for a regression on one input (seed 002's two pictures), and the
digit, receptive fields and output bars for image-shaped inputs."""

from __future__ import annotations

from bpsim.core.trainer import Trainer
from bpsim.teaching.fit import is_regression
from bpsim.teaching.images import image_shape

#: the window's dock each picture joins as the front tab
BESIDE = {
    "decision_map": "parameter_table",
    "fit_plot": "inspector",
    "landscape": "parameter_table",
    "digit_view": "inspector",
}


def _classes(trainer: Trainer) -> int:
    """How many classes the samples show (0 for a regression)."""
    from bpsim.teaching.metrics import target_classes, task_of

    task, threshold = task_of(trainer.network, trainer.targets)
    if task != "classification" or len(trainer.targets) < 2:
        return 0
    return len(set(target_classes(trainer.targets, threshold).tolist()))


def default_views(trainer: Trainer) -> list[tuple[str, str]]:
    """(panel name, the dock it joins) for each picture this lesson opens with."""
    net = trainer.network
    fits = trainer.inputs.shape[1] == net.sizes[0] and trainer.targets.shape[1] == net.sizes[-1]
    names: list[str] = []
    if image_shape(net.sizes[0], trainer.lesson.view) is not None:
        names.append("digit_view")
    elif fits and net.sizes[0] == 2 and _classes(trainer) >= 2:
        names.append("decision_map")  # a worked example's one sample keeps its table in front
    elif fits and net.sizes[0] == 1 and is_regression(net, trainer.targets):
        names.append("fit_plot")
        if net.parameter_count() == 2:  # the line's a and b: the landscape is the whole story
            names.append("landscape")
    return [(name, BESIDE[name]) for name in names]

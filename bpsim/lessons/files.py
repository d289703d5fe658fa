"""Opening and saving lessons as trainers: the file format and the engine together.

Both the command line and the window go through here, so a file that loads in one loads
in the other, and a training state that does not fit its lesson is refused with the same
message naming ``state.…`` in the file.

Two promises are kept here: a lesson is refused (naming the key and the figure) before
the engine allocates more memory than this machine has free, and a trained lesson is
always saved as something that loads, leaving out (and saying so) what cannot be written.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

from bpsim.core.spec import Lesson
from bpsim.core.state import StateError
from bpsim.core.trainer import Trainer
from bpsim.datasets.system import available_memory, memory_budget, size_text
from bpsim.fileformat import LessonFileError, load_lesson, parse_lesson, save_lesson

#: Copies of the parameters the engine keeps: the parameters, the gradients, the update,
#: the starting values, up to three optimizer buffers (Adam with amsgrad) and a snapshot.
PARAMETER_COPIES = 8
#: Arrays of batch × neurons one pass keeps (net inputs, activations, f', ∂L/∂a, deltas,
#: and the temporaries of a step).
PASS_ARRAYS = 7
FLOAT_BYTES = 8


def resolve_source(source: str | Path) -> Path:
    """The file a user means by ``source``: a built-in lesson's name (``xor``), or a path.

    A name wins only when no file of that name exists, so ``bpsim xor`` opens the built-in
    lesson while ``bpsim ./xor`` (or a file called ``xor`` in the folder) opens the file.
    """
    from bpsim.lessons.examples import find_example

    path = Path(source)
    if isinstance(source, str) and not _exists(path):
        example = find_example(source)
        if example is not None:
            return example.path
    return path


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, a NUL
        return False


def open_lesson(source: str | Path) -> Trainer:
    """THE opener of lessons, for the command line and the window alike: a built-in
    lesson's name or a `.bpsim` path, loaded, checked and made a trainer.

    Raises :class:`LessonFileError` naming the file and the place of any problem.
    """
    return trainer_from_lesson_file(resolve_source(source))


def trainer_from_lesson_file(path: str | Path) -> Trainer:
    """Load a `.bpsim` file and build its trainer; :class:`LessonFileError` on any problem."""
    lesson = load_lesson(path)
    return _trainer(lesson, Path(path))


def trainer_from_text(text: str, *, path: Path | None = None) -> Trainer:
    """Build a trainer from a lesson's JSON text (for tests and examples)."""
    return _trainer(parse_lesson(text, path=path), path)


def _trainer(lesson: Lesson, path: Path | None) -> Trainer:
    check_memory(lesson, path)
    try:
        return Trainer(lesson)
    except StateError as error:
        raise LessonFileError(error.message, place=error.place, path=path) from None
    except MemoryError:  # the estimate is rough: the machine may have less than it said
        raise LessonFileError(
            "there is not enough free memory to train this lesson; make it smaller",
            place="layers",
            path=path,
        ) from None


# ----------------------------------------------------------------------------- memory


def parameter_count(lesson: Lesson) -> int:
    """Weights and biases of the lesson's network."""
    total = 0
    for before, layer in zip(lesson.layers, lesson.layers[1:], strict=False):
        total += before.size * layer.size + layer.bias_count()
    return total


def memory_needed(lesson: Lesson) -> tuple[str, str, int]:
    """The largest of the engine's needs for ``lesson``: (key, what, bytes).

    Parameters with their copies (optimizer state, gradients) are weighed against one
    pass of the batch through every layer, so the message names the part to shrink.
    """
    params = parameter_count(lesson)
    neurons = sum(layer.size for layer in lesson.layers)
    widest = max(layer.size for layer in lesson.layers)
    samples = len(lesson.dataset.inputs)
    held_out = math.floor(lesson.training.validation_fraction * samples)
    train_rows = max(samples - held_out, 1)
    batch = lesson.training.batch_size or train_rows
    batch = min(batch, train_rows)
    for_params = params * PARAMETER_COPIES * FLOAT_BYTES
    for_pass = batch * neurons * PASS_ARRAYS * FLOAT_BYTES
    for_validation = held_out * widest * 2 * FLOAT_BYTES
    needs = [
        (
            "layers",
            f"the network's {params:,} weights and biases with their gradients and "
            f"{lesson.optimizer.name}'s state",
            for_params,
        ),
        (
            "training.batch_size",
            f"a batch of {batch:,} samples through {neurons:,} neurons "
            f"(the widest layer has {widest:,})",
            for_pass,
        ),
        (
            "training.validation_fraction",
            f"the {held_out:,} validation samples through a layer of {widest:,} neurons",
            for_validation,
        ),
    ]
    key, what, _ = max(needs, key=lambda need: need[2])
    return key, what, for_params + for_pass + for_validation


def check_memory(lesson: Lesson, path: Path | None = None) -> None:
    """Refuse a lesson the engine could not hold in this machine's free memory, or whose
    single step would take minutes, naming the key to change and the figure, before
    anything is allocated."""
    key, what, need = memory_needed(lesson)
    if need > memory_budget():
        raise LessonFileError(
            f"{what} need about {size_text(need)} of memory; this machine has "
            f"{size_text(available_memory())} free, and a lesson may use half of that",
            place=key,
            path=path,
        )
    batch, operations = step_operations(lesson)
    seconds = operations / OPERATIONS_PER_SECOND
    if seconds > MAX_STEP_SECONDS:
        raise LessonFileError(
            f"one step of {batch:,} samples through {parameter_count(lesson):,} weights and "
            f"biases is about {operations:.2g} operations, some {seconds / 60:,.0f} minutes; "
            "a lesson's step may take at most "
            f"{MAX_STEP_SECONDS // 60:.0f} minutes: use smaller batches or a smaller network",
            place="training.batch_size" if batch > 1 else "layers",
            path=path,
        )


#: A laptop core's pace on the engine's matrix products (a cautious figure).
OPERATIONS_PER_SECOND = 2e9
#: Longest one training step may take: explain and check run one, the window shows each.
MAX_STEP_SECONDS = 300.0


def step_operations(lesson: Lesson) -> tuple[int, float]:
    """The batch size and the multiply-adds of one step (forward, backward, update)."""
    samples = len(lesson.dataset.inputs)
    held_out = math.floor(lesson.training.validation_fraction * samples)
    train_rows = max(samples - held_out, 1)
    batch = min(lesson.training.batch_size or train_rows, train_rows)
    return batch, 6.0 * batch * parameter_count(lesson)


# ----------------------------------------------------------------------------- saving


def save_trainer(trainer: Trainer, path: str | Path) -> list[str]:
    """Write the lesson as it stands (parameters, settings and training state), atomically.

    Whatever can be written is: when the state holds something a file cannot (a number
    that overflowed, more than a file may hold), the save is tried again without the
    history's non-finite points (the rest keep their step numbers), then with a fresh
    optimizer state, then without the starting values, and last without the training
    state, so a run that trained always leaves a file that loads. Returns what was left out, one
    note each (empty when everything was written). Problems with the disk or the target
    (full, read-only, a device) raise :class:`LessonFileError`.
    """
    return save_lesson_that_loads(trainer.to_lesson(), path)


def save_lesson_that_loads(lesson: Lesson, path: str | Path) -> list[str]:
    """:func:`save_trainer` for a lesson already taken from its trainer (the window's
    autosave writes such a copy in the background while training goes on)."""
    notes: list[str] = []
    try:
        save_lesson(lesson, path)
        return notes
    except LessonFileError as error:
        if _about_the_target(error) or lesson.state is None:
            raise
        first = error
    state = copy.copy(lesson.state)
    for note, change in (
        ("the history's points that are not finite numbers", _finite_history),
        ("the optimizer's state (training goes on with a fresh one)", _fresh_optimizer),
        ("the starting weights (Reset goes back to the saved ones)", _no_initial),
    ):
        if not change(state, lesson):
            continue
        notes.append(note)
        try:
            save_lesson(_with_state(lesson, state), path)
            return [_because(first), *notes]
        except LessonFileError as error:
            if _about_the_target(error):
                raise
    notes = ["the training state (the weights are saved as they stand)"]
    save_lesson(_with_state(lesson, None), path)
    return [_because(first), *notes]


def _because(error: LessonFileError) -> str:
    where = f"{error.place}: " if error.place else ""
    return f"the full state could not be written ({where}{error.message}); left out:"


def _about_the_target(error: LessonFileError) -> bool:
    """A problem with the disk or the path (raised again), not with what is written."""
    return isinstance(error.__cause__, OSError)


def _with_state(lesson: Lesson, state: dict[str, object] | None) -> Lesson:
    out = copy.copy(lesson)
    out.state = state
    return out


def _fresh_optimizer(state: dict[str, Any], lesson: Lesson) -> bool:
    """The optimizer state a new start would have (zeros) in place of the saved one."""
    if "optimizer" not in state:
        return False
    fresh = Trainer(_with_state(lesson, None))
    state["optimizer"] = fresh.export_state()["optimizer"]
    return True


def _no_initial(state: dict[str, Any], lesson: Lesson) -> bool:
    return state.pop("initial_parameters", None) is not None


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _finite_history(state: dict[str, Any], lesson: Lesson) -> bool:
    """Leave out the history's points that overflowed, writing the step and epoch numbers
    of the rest (which the format allows), so the run itself is kept whole."""
    history = state.get("history")
    if not isinstance(history, dict):
        return False
    steps = list(history.get("step_loss", []))
    train = list(history.get("epoch_train_loss", []))
    val = list(history.get("epoch_val_loss", []))
    if (
        all(map(_finite, steps))
        and all(map(_finite, train))
        and all(v is None or _finite(v) for v in val)
    ):
        return False
    step_x = history.get("step_numbers") or list(range(1, len(steps) + 1))
    epoch_x = history.get("epoch_numbers") or list(range(1, len(train) + 1))
    keep_steps = [n for n, v in enumerate(steps) if _finite(v)]
    keep_epochs = [n for n, v in enumerate(train) if _finite(v)]
    state["history"] = {
        "step_loss": [steps[n] for n in keep_steps],
        "epoch_train_loss": [train[n] for n in keep_epochs],
        "epoch_val_loss": [val[n] if _finite(val[n]) else None for n in keep_epochs],
        "step_numbers": [int(step_x[n]) for n in keep_steps],
        "epoch_numbers": [int(epoch_x[n]) for n in keep_epochs],
    }
    early = state.get("early_stopping")
    if isinstance(early, dict) and early.get("best") is not None and not _finite(early["best"]):
        state["early_stopping"] = {**early, "best": None}
    return True

"""An update as formulas: the optimizer's own lines (its state before and after, from
:func:`bpsim.teaching.explain_update.explain_update`), then p ← p + Δp; for the update
about to be made, or the one just made (from the state the window remembered)."""

from __future__ import annotations

import numpy as np

from bpsim.core.network import Network
from bpsim.core.trainer import Phase, Trainer
from bpsim.teaching.explain_update import UpdateExplanation, explain_update
from bpsim.teaching.formulas.model import (
    Formula,
    ParameterRef,
    Section,
    UpdateMemory,
    UpdateRecord,
    live_trace,
)
from bpsim.text import fmtp


def _parameter_index(network: Network, key: ParameterRef) -> tuple[int, int]:
    """(parameter array, flat index) of a key."""
    array = 2 * key.k + int(key.bias)
    if key.bias:
        return array, key.j
    return array, key.j * network.weights[key.k].shape[1] + key.i


def _state_entry(buffers: dict[str, list[np.ndarray]], array: int, flat: int) -> dict[str, float]:
    return {name: float(arrays[array].reshape(-1)[flat]) for name, arrays in buffers.items()}


def _current_update(trainer: Trainer, name: str, array: int, flat: int) -> UpdateExplanation:
    """The update the next Update will make (the state as it is now)."""
    runner = trainer.optimizer
    buffers = runner.buffers()
    has_buffer = True
    if runner.name == "sgd" and "momentum_buffer" in buffers:
        entries = runner.state_dict().get("momentum_buffer", [])
        has_buffer = array < len(entries) and entries[array] is not None
    trace = trainer.trace
    assert trace is not None
    return explain_update(
        runner.name,
        runner.hyper,
        name,
        float(trainer.network.parameter_arrays()[array].reshape(-1)[flat]),
        float(trace.gradient_arrays()[array].reshape(-1)[flat]),
        _state_entry(buffers, array, flat),
        runner.steps()[array] + 1,
        has_buffer,
    )


def _past_update(
    trainer: Trainer, state: UpdateRecord, name: str, array: int, flat: int
) -> UpdateExplanation:
    trace = trainer.trace
    assert trace is not None
    return explain_update(
        state.optimizer,
        state.hyper,
        name,
        float(state.parameters[array].reshape(-1)[flat]),
        float(trace.gradient_arrays()[array].reshape(-1)[flat]),
        _state_entry(state.buffers, array, flat),
        state.steps[array] + 1,
        state.has_momentum_buffer[array] if array < len(state.has_momentum_buffer) else True,
    )


def update_formulas(explanation: UpdateExplanation) -> list[Formula]:
    """An optimizer's update as formulas: its state lines, then p ← p + Δp."""
    p = explanation.name
    formulas: list[Formula] = []
    for line in explanation.lines:
        if line.symbol == p:  # plain SGD: the one line is the update itself
            formulas.append(
                Formula(p, [line.formula, line.numbers], line.value, "update", relation="←")
            )
        else:
            key = "delta_update" if line.symbol == f"Δ{p}" else "state"
            formulas.append(Formula(line.symbol, [line.formula, line.numbers], line.value, key))
    if not explanation.plain_sgd:
        formulas.append(
            Formula(
                p,
                [f"{p} + Δ{p}", f"{fmtp(explanation.before)} + {fmtp(explanation.delta)}"],
                explanation.after,
                "update",
                (explanation.before, explanation.delta),
                relation="←",
            )
        )
    return formulas


def update_section(
    trainer: Trainer, memory: UpdateMemory | None, key: ParameterRef, name: str
) -> Section:
    network = trainer.network
    array, flat = _parameter_index(network, key)
    trace = live_trace(trainer)
    runner = trainer.optimizer
    section = Section("Update", "update")
    if not network.trainable_flags()[array]:
        section.notes.append(
            f"{name} is frozen: its layer is not trained, so updates leave it alone."
        )
        return section
    rule = "plain gradient descent" if runner.name == "sgd" else runner.name
    if trainer.phase is Phase.BACKWARDED and trace is not None:
        section.title = f"The next update ({rule}, press U)"
        section.formulas = update_formulas(_current_update(trainer, name, array, flat))
        return section
    if trainer.phase is Phase.UPDATED and trace is not None:
        state = memory.update_before() if memory is not None else None
        current = float(network.parameter_arrays()[array].reshape(-1)[flat])
        if state is not None:
            explanation = _past_update(trainer, state, name, array, flat)
            if explanation.after == current:
                section.title = f"The update just made ({state.optimizer})"
                section.formulas = update_formulas(explanation)
                return section
        delta = float(trainer.last_update[array].reshape(-1)[flat])
        section.title = "The last update"
        section.formulas = [
            Formula(f"Δ{name}", ["its change in the last update"], delta, "delta_update")
        ]
        section.formulas.append(Formula(name, ["its value now"], current, "value"))
        return section
    section.notes.append(f"The update of {name} comes after the backward pass (F, then B, then U).")
    return section

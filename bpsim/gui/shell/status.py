"""Where training stands, in words: the status bar's line, which presentation mode's
readout shows too (``Epoch 1 · Step 1 · Sample 1 (of 1) · Loss 0.184979 · Phase: forward
done``). Read from the session; nothing here changes it."""

from __future__ import annotations

import math

from bpsim.core.trainer import Phase
from bpsim.gui.state.session import Session
from bpsim.text import fmt


def _phase_text(session: Session) -> str:
    trainer = session.trainer
    if session.running:
        return "running"
    if session.training_blocked is not None:
        return "waiting for data that fits the network"
    if trainer.stopped is not None and trainer.phase in (Phase.READY, Phase.UPDATED):
        return "stopped early"
    trace, depth = trainer.trace, trainer.network.depth
    phase = trainer.phase
    if phase is Phase.FORWARD and trace is not None:
        return f"forward, layer {trace.forward_done} of {depth} done"
    if phase is Phase.BACKWARD and trace is not None:
        return f"backward, {trace.backward_done} of {depth} layers done"
    return {
        Phase.READY: "ready",
        Phase.FORWARD: "forward",
        Phase.FORWARDED: "forward done",
        Phase.BACKWARD: "backward",
        Phase.BACKWARDED: "backward done",
        Phase.UPDATED: "update done",
    }[phase]


def _loss_text(loss: float | None) -> str:
    if loss is None or math.isnan(loss):
        return "—"
    return fmt(loss) if math.isfinite(loss) else "∞"


def status_text(session: Session, picked: bool = False) -> str:
    """Where training stands, for the status bar: ``Epoch 1 · Step 1 · Sample 1 (of 1) ·
    Loss 0.184979 · Phase: forward done``.

    Epoch, step and batch are those of the pass on screen: after an update, the step just
    done; otherwise the step under way or about to begin. ``picked`` says that pass uses
    a sample chosen with the sample picker (the trainer forgets that after the update).
    """
    t = session.trainer
    phase = t.phase
    n_batches = t.batches_per_epoch
    parts: list[str] = []
    if session.running:
        parts += [f"Epoch {t.epoch + 1}", f"Step {t.step_count}"]
        losses = t.history.step_loss.values
        loss = float(losses[-1]) if len(losses) else None
    else:
        if phase is Phase.UPDATED:
            step = t.step_count
            if picked or (t.batch_index == 0 and t.epoch == 0):
                epoch, batch = t.epoch + 1, None
            elif t.batch_index == 0:
                epoch, batch = t.epoch, n_batches
            else:
                epoch, batch = t.epoch + 1, t.batch_index
        else:
            step = t.step_count + 1
            epoch, batch = t.epoch + 1, None if t.override is not None else t.batch_index + 1
        parts += [f"Epoch {epoch}", f"Step {step}"]
        in_view = phase is not Phase.READY and t.trace is not None
        rows = t.trace.indices if in_view and t.trace is not None else t.next_batch()
        n = len(t.inputs)
        if picked or (phase is not Phase.UPDATED and t.override is not None):
            if len(rows) == 1:
                parts.append(f"Sample {int(rows[0]) + 1} (of {n}, picked)")
            else:
                parts.append(f"{len(rows)} picked samples")
        elif len(rows) == 1:
            text = f"Sample {int(rows[0]) + 1} (of {n})"
            if n_batches > 1 and batch is not None:
                text += f" · Batch {batch} of {n_batches}"
            parts.append(text)
        elif batch is not None:
            parts.append(f"Batch {batch} of {n_batches} ({len(rows)} samples)")
        else:
            parts.append(f"{len(rows)} samples")
        done = phase in (Phase.FORWARDED, Phase.BACKWARD, Phase.BACKWARDED, Phase.UPDATED)
        loss = t.trace.loss if done and t.trace is not None else None
    parts.append(f"Loss {_loss_text(loss)}")
    parts.append(f"Phase: {_phase_text(session)}")
    return " · ".join(parts)

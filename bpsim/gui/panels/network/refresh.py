"""Refreshing what the items show from the trainer, and the tooltips."""

from __future__ import annotations

from typing import cast

import numpy as np
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import (
    QHelpEvent,
    QPainter,
    QPainterPath,
)
from PySide6.QtWidgets import (
    QToolTip,
)

from bpsim.core.network import Trace
from bpsim.core.trainer import Phase
from bpsim.gui.panels.network.base import EditorState
from bpsim.gui.panels.network.items import EllipsisItem, gradient_arrow, upper_normal
from bpsim.gui.panels.network.layout import (
    DENSE_ARROW_FRACTION,
    SHOW_HEAD,
    _max_abs,
    half_width,
)
from bpsim.gui.state.session import ParameterKey
from bpsim.gui.style import palette
from bpsim.text import fmt, full

#: Outputs up to this many each get a target tag; more (ten digits) label only the class.
MAX_TARGET_TAGS = 4


class RefreshMixin(EditorState):
    """Pens, fills, texts and arrows from the session; tooltips on demand."""

    # -- refreshing ------------------------------------------------------------------

    def _trace(self) -> Trace | None:
        """The trace when it describes the current parameters; None before a forward pass
        and after an edit or a new sample choice (its values would be stale)."""
        trainer = self.session.trainer
        if trainer.trace is None or trainer.phase is Phase.READY:
            return None
        return trainer.trace

    def _backward_from(self, trace: Trace | None) -> int:
        """The first layer whose deltas are known (depth + 1: none yet)."""
        depth = self.network.depth
        if trace is None or trace.backward_done <= 0:
            return depth + 1
        return depth - trace.backward_done + 1

    def refresh_parameters(self) -> None:
        """New weights or biases: link pens, weight and bias labels."""
        net = self.network
        if (
            self._shown is not None
            and self._shown[0] is net
            and np.array_equal(self._shown[1], net.flat)
        ):
            return  # the values on screen (a new lesson is drawn, then announced)
        self._shown = (net, net.flat.copy())
        digits = self._sizes.digits
        for k, w in enumerate(net.weights):
            max_abs = _max_abs(w)
            dense = self._dense[k]
            for link in self._gap_links[k]:
                key = link.key
                value = float(w[key.j, key.i])
                if dense:  # many lines: thinner and see-through, so they read as a texture
                    link.set_weight_pen(palette.weight_pen(value, max_abs, 4.0, 170))
                else:
                    link.set_weight_pen(palette.weight_pen(value, max_abs))
                if link.tag is not None:
                    symbol = self._weight_symbol(key.k, key.j, key.i)
                    link.tag.set_lines(f"{symbol} = {fmt(value, digits)}", link.tag.second_text())
            b = net.biases[k]
            if k in self._bias_nodes:
                value = float(b[0])
                pen = palette.weight_pen(value, max(max_abs, abs(value)))
                for line in self._bias_links[k]:
                    line.set_weight_pen(pen)
                node_tag = self._bias_node_tags[k]
                if node_tag.set_lines(
                    f"{self._bias_symbol(k, 0)} = {fmt(value, digits)}", node_tag.second_text()
                ):
                    self._place_bias_tag(k, 0)
            for j in self._columns[k + 1].indices:
                tag = self._bias_tags.get((k, j))
                if tag is None:
                    continue
                text = f"{self._bias_symbol(k, j)} = {fmt(float(b[j]), digits)}"
                if tag.set_lines(text, tag.second_text()):
                    self._place_bias_tag(k, j)
        trace = self._trace()
        if trace is not None and self._backward_from(trace) <= net.depth:
            self._draw_gradients(trace)  # the arrows sit beside lines whose widths changed
        if isinstance(self._selected, ParameterKey):
            self._marker.mark(self._item_for_key(self._selected))
        self._refresh_focus_tags()

    def refresh_trace(self) -> None:
        """New activations, deltas or gradients: fills, values, red arrows, highlight."""
        net = self.network
        trace = self._trace()
        self._trace_state = self._state_signature()
        back_from = self._backward_from(trace)
        digits = self._sizes.digits
        for column in self._columns:
            k = column.layer
            if trace is None or (k > 0 and trace.forward_done < k):
                for neuron in column.neurons:
                    neuron.set_state(palette.NEUTRAL_FILL, "", "")
                continue
            act = net.layers[k].activation if k > 0 else None
            row = trace.a[k][0]
            scale = palette.activation_scale(row, act)
            deltas = trace.delta[k][0] if k > 0 and k >= back_from else None
            nets = trace.z[k][0] if k > 0 else None
            for neuron in column.neurons:
                value = float(row[neuron.index])
                delta = "" if deltas is None else f"δ = {fmt(float(deltas[neuron.index]), digits)}"
                net_text = "" if nets is None else f"net {fmt(float(nets[neuron.index]), digits)}"
                neuron.set_state(
                    palette.activation_color(value, act, scale), fmt(value, digits), delta, net_text
                )
        self._draw_gradients(trace)
        self._refresh_targets(trace)
        for k in range(net.depth):
            shown = trace is not None and k + 1 >= back_from
            bias_grads = trace.bias_grads[k] if shown and trace is not None else None
            tags = [(j, t) for (kk, j), t in self._bias_tags.items() if kk == k]
            if k in self._bias_node_tags:
                tags.append((0, self._bias_node_tags[k]))
            for j, tag in tags:
                second = ""
                if bias_grads is not None and bias_grads.size:
                    symbol = self._bias_symbol(k, j)
                    second = f"∂E/∂{symbol} ={self._joiner()}{fmt(float(bias_grads[j]), digits)}"
                if tag.set_lines(tag.first_text(), second):
                    self._place_bias_tag(k, j)
        self._update_highlight(trace)
        self._update_batch_caption(trace)
        self._settle_secondary()

    def _draw_gradients(self, trace: Trace | None) -> None:
        """Red arrows back along every link whose layer the backward pass has reached,
        with ∂E/∂w on the labelled links; arrow widths ∝ |∂E/∂w| within a layer."""
        if self.session.running:
            # Gradients change ~30 times a second while training runs: too fast to read,
            # and their arrows and labels cost a tenth of a frame. Drawn again on pause.
            trace = None
        back_from = self._backward_from(trace)
        digits = self._sizes.digits
        for k, gap in enumerate(self._gap_links):
            path = QPainterPath()
            path.setFillRule(Qt.FillRule.WindingFill)
            if trace is None or k + 1 < back_from:
                for link in gap:
                    if link.tag is not None:
                        link.tag.set_lines(link.tag.first_text(), "")
                self._gradient_paths[k].setPath(path)
                continue
            grads = trace.weight_grads[k]
            max_abs = _max_abs(grads)
            dense = self._dense[k]
            for link in gap:
                if link.masked:
                    continue
                key = link.key
                g = float(grads[key.j, key.i])
                if dense:
                    # Only the strong gradients of a crowded gap: a few clear arrows say
                    # more than hundreds of overlapping ones (tooltips give every value).
                    if not abs(g) >= DENSE_ARROW_FRACTION * max_abs or max_abs == 0:
                        continue
                    width = palette.gradient_width(g, max_abs, 1.2, 3.0)
                else:
                    width = palette.gradient_width(g, max_abs)
                path.addPolygon(gradient_arrow(link.line(), link.current_pen().widthF(), width))
                path.closeSubpath()
                if link.tag is not None:
                    symbol = self._weight_symbol(key.k, key.j, key.i)
                    link.tag.set_lines(
                        link.tag.first_text(), f"∂E/∂{symbol} ={self._joiner()}{fmt(g, digits)}"
                    )
            self._gradient_paths[k].setPath(path)
        self._refresh_focus_tags()

    def _refresh_targets(self, trace: Trace | None) -> None:
        """Each output's target beside it, and after a forward pass its error
        (out − target), for the sample whose values are drawn."""
        if not self._target_tags:
            return
        trainer = self.session.trainer
        digits = self._sizes.digits
        depth = self.network.depth
        outputs = None
        if trace is not None and trace.forward_done >= depth:
            targets, outputs = trace.targets[0], trace.a[depth][0]
        else:
            rows = trainer.next_batch()
            if len(rows) == 0 or len(trainer.targets) == 0:
                return
            targets = trainer.targets[int(rows[0])]
        # Many outputs (the ten digits): only the class the sample belongs to is labelled,
        # so ten small tags do not crowd the column; two outputs keep a tag each.
        only = int(np.argmax(targets)) if len(targets) > MAX_TARGET_TAGS else None
        for index, tag in self._target_tags.items():
            if index >= len(targets):
                continue
            if only is not None and index != only:
                tag.set_lines("", "")
                continue
            target = float(targets[index])
            error = ""
            if outputs is not None:
                error = (
                    f"out − target ={self._joiner()}{fmt(float(outputs[index]) - target, digits)}"
                )
            if tag.set_lines(f"target = {fmt(target, digits)}", error):
                self._place_target_tag(index)

    def _refresh_focus_tags(self) -> None:
        """In crowded gaps (no label on every link) the selected or focused link alone
        gets its label: weight, and gradient once backward has reached it."""
        if not self._focus_tags:
            return
        wanted = [key for key in (self._selected, self._focus) if isinstance(key, ParameterKey)]
        trace = self._trace()
        back_from = self._backward_from(trace)
        digits = self._sizes.digits
        net = self.network
        for k, tag in self._focus_tags.items():
            key = next((w for w in wanted if not w.bias and w.k == k), None)
            link = None if key is None else self.link_item(key.k, key.j, key.i)
            if key is None or link is None:
                tag.set_lines("", "")
                tag.setVisible(False)
                continue
            symbol = self._weight_symbol(key.k, key.j, key.i)
            first = f"{symbol} = {fmt(float(net.weights[k][key.j, key.i]), digits)}"
            second = ""
            if trace is not None and k + 1 >= back_from and not self.session.running:
                g = float(trace.weight_grads[k][key.j, key.i])
                second = f"∂E/∂{symbol} ={self._joiner()}{fmt(g, digits)}"
            tag.set_lines(first, second)
            normal = upper_normal(link.line())
            rect = tag.rect()
            shift = abs(normal.x()) * rect.width() / 2 + abs(normal.y()) * rect.height() / 2 + 6
            tag.setPos(link.point_at(0.5) - normal * shift)

    def _place_bias_tag(self, k: int, j: int) -> None:
        """A bias label just above its neuron (or its shared bias node)."""
        if k in self._bias_nodes:
            node, tag = self._bias_nodes[k], self._bias_node_tags[k]
            centre, radius = node.pos(), node.radius
        else:
            tag = self._bias_tags[(k, j)]
            neuron = self.neuron_item(k + 1, j)
            assert neuron is not None
            centre, radius = neuron.pos(), neuron.radius
        tag.setPos(centre.x(), centre.y() - radius - tag.rect().height() / 2 - 4)

    def _state_signature(self) -> tuple:
        trainer = self.session.trainer
        trace = trainer.trace
        return (
            trainer.phase,
            id(trace),
            None if trace is None else (trace.forward_done, trace.backward_done),
            self.session.last_phase,
        )

    def _on_running(self, running: bool) -> None:
        """While training runs, a crowded drawing is repainted ~30 times a second: drop
        antialiasing then (about three times faster in software), restore it on pause."""
        crowded = any(self._dense)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, not (running and crowded))
        self._draw_gradients(self._trace())  # hidden while running, back on pause

    def _on_state(self) -> None:
        """Some changes (picking a sample) make the trace stale without traceChanged."""
        if self._state_signature() != self._trace_state:
            self.refresh_trace()

    def _update_highlight(self, trace: Trace | None) -> None:
        layer: int | None = None
        if trace is not None and self.session.last_phase == "forward_layer":
            layer = trace.forward_done
        elif trace is not None and self.session.last_phase == "backward_layer":
            layer = self._backward_from(trace)
        if layer is None or not 0 <= layer < len(self._columns):
            self._highlight.cover(None, None)
            return
        column = self._columns[layer]
        r = half_width(self._sizes)
        pad_top = 58 if self._sizes.bias_tags else 16
        pad_bottom = 40 if self._sizes.roomy else 30
        rect = QRectF(
            column.x - r - 34,
            column.top - pad_top,
            2 * r + 68,
            column.bottom - column.top + pad_top + pad_bottom,
        )
        self._highlight.cover(layer, rect)

    @staticmethod
    def _batch_text(row: int, batch: int) -> str:
        return (
            f"Values of sample {row}, the first of a batch of {batch}.\n"
            "∂E/∂w and ∂E/∂b are means over the batch."
        )

    def _update_batch_caption(self, trace: Trace | None) -> None:
        text = ""
        if trace is not None and trace.batch_size > 1:
            text = self._batch_text(int(trace.indices[0]) + 1, trace.batch_size)
        if text != self._batch_caption.text():
            self._batch_caption.setText(text)

    # -- tooltips (formatted only when asked for) --------------------------------------

    def tooltip_for(self, key: object) -> str:
        """The full-precision numbers behind an item (what hovering shows)."""
        net = self.network
        trace = self._trace()
        back_from = self._backward_from(trace)
        if isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron":
            layer, index = key[1], key[2]
            lines = [f"{net.labels[layer][index]}: layer {layer}, neuron {index + 1}"]
            if trace is not None and (layer == 0 or trace.forward_done >= layer):
                if layer > 0:
                    lines.append(f"net = {full(trace.z[layer][0, index])}")
                lines.append(f"out = {full(trace.a[layer][0, index])}")
                if layer > 0 and layer >= back_from:
                    lines.append(f"∂E/∂out = {full(trace.grad_a[layer][0, index])}")
                    lines.append(f"δ = ∂E/∂net = {full(trace.delta[layer][0, index])}")
            else:
                lines.append("no value yet: run a forward pass")
            has_bias = layer > 0 and net.layers[layer].bias != "none"
            lines.append(
                ("double-click: its bias · " if has_bias else "")
                + "F2: rename · drag: move · right-click: more"
            )
            return "\n".join(lines)
        if isinstance(key, tuple) and len(key) == 2 and key[0] == "layer":
            return self._layer_tooltip(key[1])
        if not isinstance(key, ParameterKey):
            return ""
        lines = [self.key_label(key)]
        shown = trace is not None and key.k + 1 >= back_from
        if key.bias:
            lines.append(f"b = {full(net.biases[key.k][key.j])}")
            if shown and trace is not None:
                lines.append(f"∂E/∂b = {full(trace.bias_grads[key.k][key.j])}")
        else:
            lines.append(f"w = {full(net.weights[key.k][key.j, key.i])}")
            mask = net.masks[key.k]
            if mask is not None and mask[key.j, key.i] == 0:
                lines.append("removed (masked)")
            if shown and trace is not None:
                symbol = self._weight_symbol(key.k, key.j, key.i)
                lines.append(f"∂E/∂{symbol} = {full(trace.weight_grads[key.k][key.j, key.i])}")
        if trace is not None and trace.batch_size > 1 and shown:
            lines.append(f"(gradient: mean over a batch of {trace.batch_size})")
        lines.append("double-click to edit")
        return "\n".join(lines)

    def _layer_tooltip(self, layer: int) -> str:
        """What a layer is and how it trains: shown over its caption."""
        net = self.network
        spec = net.layers[layer]
        size = net.sizes[layer]
        lines = [f"layer {layer}: {size} neuron{'s' if size != 1 else ''}"]
        if layer > 0:
            bias = {"per_neuron": "one bias per neuron", "shared": "one shared bias"}
            lines.append(f"{spec.activation}, {bias.get(spec.bias, 'no bias')}")
            frozen = [
                what
                for what, trained in (("weights", spec.train_weights), ("bias", spec.train_bias))
                if not trained
            ]
            if frozen:
                lines.append(f"frozen: {' and '.join(frozen)}")
        lines.append("right-click: add a neuron or a layer, change the activation …")
        return "\n".join(lines)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            help_event = QHelpEvent(cast(QHelpEvent, event))  # (a tooltip event is one)
            key = self.key_at(help_event.pos())
            text = self.tooltip_for(key) if key is not None else ""
            if not text:
                for item in self.items(help_event.pos()):
                    dots = item if isinstance(item, EllipsisItem) else item.parentItem()
                    if isinstance(dots, EllipsisItem):
                        text = self._ellipsis_tooltip(dots)
                        break
            if text:
                QToolTip.showText(help_event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def _ellipsis_tooltip(self, dots: EllipsisItem) -> str:
        labels = self.network.labels[dots.layer]
        column = self._columns[dots.layer]
        first = labels[column.indices[SHOW_HEAD - 1] + 1]
        last = labels[column.indices[SHOW_HEAD] - 1]
        return f"{dots.hidden} neurons not drawn ({first} … {last})"

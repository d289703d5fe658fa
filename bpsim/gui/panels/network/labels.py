"""Labels on the links: where they go, and the names they carry."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF

from bpsim.gui.panels.network.base import EditorState
from bpsim.gui.panels.network.items import Z_TAG, LinkItem, TagItem, upper_normal
from bpsim.gui.panels.network.layout import _overlaps, _Sizes, secondary_px
from bpsim.gui.state.session import ParameterKey
from bpsim.gui.style import palette

#: Where along its line a label may sit, best first.
FRACTIONS = (0.5, 0.42, 0.58, 0.35, 0.65, 0.28, 0.72, 0.22, 0.78, 0.17, 0.83, 0.12, 0.88)
#: Every candidate place: a fraction along the line, the side (−1 below, +1 above) and
#: how much further off the line, in label heights.
CANDIDATES = tuple((f, side, far) for far in (0.0, 0.6) for side in (-1, 1) for f in FRACTIONS)


class LabelsMixin(EditorState):
    """Placing link labels and naming parameters."""

    def _place_link_tags(self, k: int, gap: list[LinkItem], sizes: _Sizes) -> None:
        """Label every link of a small gap. Each label sits beside its line on the side
        away from its gradient arrow (so no arrow runs under its own label), at the place
        along the line where it covers least: other labels, neurons with their δ and bias
        labels, and the other lines and arrows of the gap (so labels move away from the
        crossings). Greedy first, then a few rounds of moving each to its best place."""
        obstacles = self._label_obstacles(k, sizes)
        digits = sizes.digits
        widest = "−0." + "0" * (digits + 1)
        margin = palette.MAX_WEIGHT_WIDTH * palette.LINE_SCALE / 2 + 3.0
        boxes: list[QRectF] = []  # each label's rectangle round (0, 0)
        tags: list[TagItem] = []
        for link in gap:
            key = link.key
            name = self._weight_symbol(key.k, key.j, key.i)
            tag = TagItem(sizes.tag_px, key=key)
            tag.set_lines(f"{name} = {widest}", f"∂E/∂{name} ={self._joiner()}{widest}")
            boxes.append(tag.rect().adjusted(-3, -2, 3, 2))
            tags.append(tag)  # (its text stays the widest until the values fill it in)
        # Candidate centres: along each line, pushed off it by half the label's extent in
        # that direction (so the rectangle just clears the line): below it, or above it
        # beyond the gradient arrow, which runs on the upper side.
        arrow = 2.0 * palette.MAX_GRADIENT_WIDTH * palette.LINE_SCALE + 6.0  # its head too
        offsets: list[list[float]] = []
        places = np.zeros((len(gap), len(CANDIDATES), 2))
        for n, (link, box) in enumerate(zip(gap, boxes, strict=True)):
            normal = upper_normal(link.line())
            half = abs(normal.x()) * box.width() / 2 + abs(normal.y()) * box.height() / 2
            row: list[float] = []
            for m, (fraction, side, far) in enumerate(CANDIDATES):
                shift = half + margin if side < 0 else -(half + margin + arrow)
                shift += far * box.height() * (1 if side < 0 else -1)
                point = link.point_at(fraction) - normal * shift
                places[n, m] = (point.x(), point.y())
                row.append(shift)
            offsets.append(row)
        size = np.array([(b.left(), b.top(), b.right(), b.bottom()) for b in boxes])
        rects = np.concatenate(
            [places + size[:, None, :2], places + size[:, None, 2:]], axis=2
        )  # (links, fractions, 4)
        area = float(np.mean((size[:, 2] - size[:, 0]) * (size[:, 3] - size[:, 1])))
        walls = np.array([(o.left(), o.top(), o.right(), o.bottom()) for o in obstacles])
        fs = np.array([f for f, _, _ in CANDIDATES])
        upper = np.array([side > 0 for _, side, _ in CANDIDATES], dtype=float)
        upper += np.array([far for _, _, far in CANDIDATES])  # (as a small cost, like above)
        base = np.tile(0.3 * area * (np.abs(fs - 0.5) + 0.3 * upper), (len(gap), 1))
        base += 8 * _overlaps(rects, walls).sum(axis=2)
        lines, arrows = _lines_inside(rects, gap, sizes.tag_px / 3)
        base += area * (0.04 * lines + 0.1 * arrows)  # other lines, and above all arrows
        flat = rects.reshape(-1, 4)
        pair = 40 * _overlaps(flat, flat).reshape(len(gap), len(fs), len(gap), len(fs))
        chosen_at: list[int] = []

        def costs(n: int) -> np.ndarray:
            """Label n's cost at each fraction, given where the others are."""
            total = base[n].copy()
            for m, g in enumerate(chosen_at):
                if m != n:
                    total += pair[n, :, m, g]
            return total

        for n in range(len(gap)):
            chosen_at.append(int(np.argmin(costs(n)[: len(fs)])))
        for _ in range(12):
            moved = False
            for n in range(len(gap)):
                cost = costs(n)
                best = int(np.argmin(cost))
                if cost[best] < cost[chosen_at[n]] - 1e-9:
                    chosen_at[n], moved = best, True
            if not moved:
                break
        for link, tag, g, row in zip(gap, tags, chosen_at, offsets, strict=True):
            tag.setZValue(Z_TAG)
            link.tag, link.tag_fraction, link.tag_shift = tag, CANDIDATES[g][0], row[g]
            tag.setPos(link.tag_point())
            self.scene().addItem(tag)

    def _label_obstacles(self, k: int, sizes: _Sizes) -> list[QRectF]:
        """What link labels of gap k must not cover: the neurons of both columns, each
        with its δ label below (and its bias label above, when it has one), the shared
        bias nodes with their labels, and the output targets."""
        net = self.network
        delta = TagItem(secondary_px(sizes) if sizes.present else max(sizes.value_px - 2, 8))
        delta.set_lines("", "δ = −0." + "0" * (sizes.digits + 1))
        delta_w, delta_h = delta.rect().width(), delta.rect().height() + 6
        bias_h = secondary_px(sizes) * 2.6 + 8
        obstacles: list[QRectF] = []
        for column in (self._columns[k], self._columns[k + 1]):
            has_bias_tags = (
                sizes.bias_tags
                and column.layer > 0
                and net.layers[column.layer].bias == "per_neuron"
            )
            for n in column.neurons:
                rect = n.sceneBoundingRect().adjusted(-6, -6, 6, 6)
                if column.layer > 0:
                    c = rect.center().x()
                    wide = max(rect.width(), delta_w + 8)
                    rect = QRectF(c - wide / 2, rect.top(), wide, rect.height() + delta_h)
                if has_bias_tags:
                    rect.adjust(0, -bias_h, 0, 0)
                obstacles.append(rect)
        for node in self._bias_nodes.values():
            obstacles.append(node.sceneBoundingRect().adjusted(-4, -4, 4, 4))
        for tag in self._bias_node_tags.values():  # (as wide as they get, for now)
            obstacles.append(tag.sceneBoundingRect().adjusted(-4, -3, 4, 3))
        # the layer captions under the columns (built later: where they will be)
        bottom = max(max(c.ys[-1], *(n.y() for n in c.neurons)) for c in self._columns)
        bottom += sizes.radius + (50 if sizes.roomy else 34)
        left = self._columns[0].x - 2 * sizes.gap
        obstacles.append(
            QRectF(left, bottom - 4, 5 * sizes.gap * len(self._columns), 2.0 * sizes.caption_px)
        )
        for link in self._links.values():  # the labels of the gaps placed before
            if link.tag is not None and link.key.k != k:
                obstacles.append(link.tag.sceneBoundingRect().adjusted(-4, -3, 4, 3))
        return obstacles

    def _secondary_tags(self) -> list[tuple[TagItem, object]]:
        """Every secondary label with what it belongs to: biases (their key), δ (its
        neuron), targets and errors (their output neuron)."""
        tags: list[tuple[TagItem, object]] = []
        for k, tag in self._bias_node_tags.items():
            tags.append((tag, ParameterKey(k, 0, bias=True)))
        for (k, j), tag in self._bias_tags.items():
            tags.append((tag, ParameterKey(k, j, bias=True)))
        for column in self._columns:
            for neuron in column.neurons:
                tags.append((neuron.delta_tag, neuron.key))
        last = len(self._columns) - 1
        for index, tag in self._target_tags.items():
            tags.append((tag, ("neuron", last, index)))
        return tags

    def _settle_secondary(self) -> None:
        """A secondary label that would cover a primary number (a value in a neuron, a
        link's label) or an earlier secondary label gives way; it comes back while what
        it belongs to is selected or under the mouse (its tooltip always has it)."""
        tags = self._secondary_tags()
        wanted = {self._selected, self._hovered}
        taken: list[QRectF] = [
            link.tag.sceneBoundingRect()
            for link in self._links.values()
            if link.tag is not None and link.tag.isVisible()
        ]
        for column in self._columns:
            taken += [n.sceneBoundingRect() for n in column.neurons]
        for tag, owner in sorted(tags, key=lambda pair: pair[1] not in wanted):
            if not (tag.first_text() or tag.second_text()):
                tag.set_suppressed(False)
                continue
            rect = tag.sceneBoundingRect()
            covers = any(rect.intersects(other) for other in taken)
            tag.set_suppressed(covers and owner not in wanted)
            if not tag.is_suppressed():
                taken.append(rect)

    def _joiner(self) -> str:
        """Between a label's name and its number: a line break when presenting (narrow
        labels fit between the columns at the large type), else a space."""
        return "\n" if self._sizes.present else " "

    # -- names -----------------------------------------------------------------------

    def _weight_symbol(self, k: int, j: int, i: int) -> str:
        """'w5' when the lesson names the weight, else 'w'."""
        assert self._names is not None
        return self._names.parameters.get(f"weights[{k}][{j}][{i}]", "w")

    def _bias_symbol(self, k: int, j: int) -> str:
        assert self._names is not None
        return self._names.parameters.get(f"biases[{k}][{j}]", "b")

    def key_label(self, key: ParameterKey) -> str:
        """How ``key`` is named for people (undo history, editor): 'w5 (h1 → y1)'."""
        net = self.network
        if key.bias:
            symbol = self._bias_symbol(key.k, key.j)
            name = net.bias_name(key.k, key.j)
            return name if symbol == "b" else f"{symbol} {name}"
        symbol = self._weight_symbol(key.k, key.j, key.i)
        name = net.weight_name(key.k, key.j, key.i)
        return f"weight {name}" if symbol == "w" else f"{symbol} ({name})"


def _lines_inside(
    rects: np.ndarray, gap: list[LinkItem], step: float
) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate rectangle (links, fractions, 4) of link n: how many points of
    the *other* lines of the gap fall inside it, and how many points of the gradient
    arrows beside them (the arrow of its own line included: a label above its line must
    clear it)."""
    lines = np.zeros(rects.shape[:2])
    arrows = np.zeros(rects.shape[:2])
    step = max(step, 4.0)
    x0, y0 = rects[..., 0:1], rects[..., 1:2]
    x1, y1 = rects[..., 2:3], rects[..., 3:4]
    reach = palette.MAX_WEIGHT_WIDTH * palette.LINE_SCALE / 2 + 3.0
    width = palette.MAX_GRADIENT_WIDTH * palette.LINE_SCALE * 2.0  # shaft and head
    for m, link in enumerate(gap):
        line = link.line()
        samples = max(int(line.length() / step), 2)
        t = np.linspace(0.03, 0.97, samples)
        p1, p2 = line.p1(), line.p2()
        xs = p1.x() + (p2.x() - p1.x()) * t
        ys = p1.y() + (p2.y() - p1.y()) * t
        normal = upper_normal(line)
        on_line = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        count = on_line.sum(axis=-1)
        count[m] = 0  # its own line is what it labels
        lines += count
        for offset in (reach, reach + width / 3, reach + 2 * width / 3, reach + width):
            ax, ay = xs + normal.x() * offset, ys + normal.y() * offset
            inside = (ax >= x0) & (ax <= x1) & (ay >= y0) & (ay <= y1)
            arrows += inside.sum(axis=-1)
    return lines, arrows

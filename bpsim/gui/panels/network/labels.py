"""Labels on the links: where they go, and the names they carry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import (
    QGraphicsView,
)

from bpsim.gui.panels.network.items import (
    Z_TAG,
    LinkItem,
    TagItem,
)
from bpsim.gui.panels.network.layout import (
    _overlaps,
    _Sizes,
)
from bpsim.gui.state.session import ParameterKey

if TYPE_CHECKING:
    _ViewBase = QGraphicsView
else:
    _ViewBase = object


class LabelsMixin(_ViewBase):
    """Placing link labels and naming parameters."""

    def _place_link_tags(self, k: int, gap: list[LinkItem], sizes: _Sizes) -> None:
        """Label every link of a small gap, placing labels greedily where they cover
        neither each other, nor a neuron, nor its δ and bias labels (so on a 2-2-2 they
        end up staggered along the links)."""
        net = self.network
        delta_h = (sizes.value_px - 2) * 1.4 + 8
        bias_h = sizes.tag_px * 2.6 + 8
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
                    rect.adjust(-30 * sizes.zoom, 0, 30 * sizes.zoom, delta_h)  # δ's width
                if has_bias_tags:
                    rect.adjust(0, -bias_h, 0, 0)
                obstacles.append(rect)
        fractions = (0.5, 0.42, 0.58, 0.35, 0.65, 0.28, 0.72, 0.22, 0.78, 0.17, 0.83, 0.12, 0.88)
        boxes: list[QRectF] = []  # each label's rectangle round (0, 0)
        tags: list[TagItem] = []
        for link in gap:
            key = link.key
            name = self._weight_symbol(key.k, key.j, key.i)
            tag = TagItem(sizes.tag_px, key=key)
            tag.set_lines(f"{name} = −0.00000", f"∂E/∂{name} = −0.0000·10^−5")  # the widest
            boxes.append(tag.rect().adjusted(-4, -3, 4, 3))
            tag.set_lines("", "")
            tags.append(tag)

        # Every candidate place of every label as a rectangle (x0, y0, x1, y1), and what
        # each costs: off-centre, over obstacles, and over each other candidate.
        fs = np.array(fractions)
        places = np.array(
            [[(p.x(), p.y()) for p in map(link.point_at, fractions)] for link in gap]
        )  # (links, fractions, 2)
        size = np.array([(b.left(), b.top(), b.right(), b.bottom()) for b in boxes])
        rects = np.concatenate(
            [places + size[:, None, :2], places + size[:, None, 2:]], axis=2
        )  # (links, fractions, 4)
        walls = np.array([(o.left(), o.top(), o.right(), o.bottom()) for o in obstacles])
        base = 20 * np.abs(fs - 0.5)[None, :] + 2 * _overlaps(rects, walls).sum(axis=2)
        flat = rects.reshape(-1, 4)
        pair = 2 * _overlaps(flat, flat).reshape(len(gap), len(fs), len(gap), len(fs))
        chosen_at: list[int | None] = [None] * len(gap)

        def costs(n: int) -> np.ndarray:
            """Label n's cost at each fraction, given where the others are."""
            total = base[n].copy()
            for m, g in enumerate(chosen_at):
                if m != n and g is not None:
                    total += pair[n, :, m, g]
            return total

        # Greedy first, then a few rounds of moving each label to its best place given
        # the others: enough for the handful of links a gap with labels has.
        for n in range(len(gap)):
            chosen_at[n] = int(np.argmin(costs(n)))
        for _ in range(4):
            moved = False
            for n in range(len(gap)):
                row = costs(n)
                best = int(np.argmin(row))
                current = chosen_at[n]
                assert current is not None
                if row[best] < row[current] - 1e-9:
                    chosen_at[n], moved = best, True
            if not moved:
                break
        chosen = [None if g is None else fractions[g] for g in chosen_at]
        for link, tag, fraction in zip(gap, tags, chosen, strict=True):
            assert fraction is not None
            tag.setZValue(Z_TAG)
            tag.setPos(link.point_at(fraction))
            self.scene().addItem(tag)
            link.tag, link.tag_fraction = tag, fraction

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

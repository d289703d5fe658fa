"""Image-shaped inputs drawn as images: the sample being classified, what each hidden
neuron looks for, and the network's answer as a bar chart.

Seed 002 describes the digit network by its pictures: a 28×28 grid of grey pixels goes
in, the hidden neurons pick up edges and loops, and the brightest of the ten outputs is
the answer. A table of 1,830 parameters shows none of that. This panel shows

- ``input_image``: the sample in the pass on screen (or the next one), pixel for pixel;
- ``receptive_fields``: each first-hidden-layer neuron's incoming weights as a small
  image, blue negative, orange positive, on one symmetric scale per neuron;
- ``output_bars``: the output layer's activations (probabilities for softmax), with
  the target class outlined and the predicted class filled darker.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from bpsim.gui.state.session import Session
from bpsim.gui.style.plot_style import (
    AXIS_COLOR,
    MUTED,
    adopt_theme_palette,
    data_problem,
    diverging_map,
)
from bpsim.gui.widgets.controls import push_button
from bpsim.teaching.images import as_image, image_shape

INPUT_SIDE = 120  # px: the input image at its smallest, above the 96 px a projector needs
FIELD_SIDE = 24  # px: one receptive field at its smallest
MAX_FIELDS = 64  # more hidden neurons than this: the first 64
BAR_COLOR = "#9ecae1"
PREDICTED_COLOR = "#0072B2"
TARGET_COLOR = "#D55E00"


def _image_widget(name: str, side: int) -> tuple[pg.GraphicsLayoutWidget, pg.ViewBox, pg.ImageItem]:
    widget = pg.GraphicsLayoutWidget()
    widget.setObjectName(name)
    widget.setBackground("w")
    widget.setMinimumSize(side, side)
    widget.ci.setContentsMargins(0, 0, 0, 0)
    view = widget.addViewBox(lockAspect=True, enableMouse=False)
    view.invertY(True)  # row 0 at the top, as the picture was written
    view.setMenuEnabled(False)
    image = pg.ImageItem(axisOrder="row-major")
    view.addItem(image)
    return widget, view, image


class DigitView(QWidget):
    """The input image, the receptive fields and the output bars, following the pass on
    screen. ``sample_row`` is the data-set row shown; ``shape`` the image's (rows,
    columns), None when the lesson's inputs are not an image."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("digit_view")
        self.session = session
        self.shape: tuple[int, int] | None = None
        self.sample_row: int | None = None

        self.title = QLabel()
        self.title.setObjectName("digit_view_title")
        self.title.setWordWrap(True)
        self.title.setStyleSheet(f"color: {AXIS_COLOR}; font-weight: bold;")
        self.previous_button = push_button(
            "◀ Previous",
            "digit_previous",
            "Use the previous sample in the next forward pass",
            lambda: self._pick(-1),
        )
        self.next_button = push_button(
            "Next ▶",
            "digit_next",
            "Use the next sample in the next forward pass",
            lambda: self._pick(+1),
        )

        self.input_widget, self._input_view, self.input_item = _image_widget(
            "input_image", INPUT_SIDE
        )
        self.input_item.setLookupTable(
            np.array([[255 - v, 255 - v, 255 - v] for v in range(256)], dtype=np.uint8)
        )  # ink dark on white, as written on paper
        self._input_view.setBorder(pg.mkPen("#999999"))  # the white paper's edge
        self.input_widget.setToolTip("The sample in the pass on screen, one square per input")

        self.bars = pg.PlotWidget(background="w")
        self.bars.setObjectName("output_bars")
        self.bars.setMinimumSize(180, INPUT_SIDE)
        self.bars.setMenuEnabled(False)
        self.bars.hideButtons()
        self.bars.setMouseEnabled(x=False, y=False)
        self.bars.setYRange(0, 1, padding=0.02)
        for side in ("left", "bottom"):
            self.bars.getAxis(side).setPen(pg.mkPen(AXIS_COLOR))
            self.bars.getAxis(side).setTextPen(pg.mkPen(AXIS_COLOR))
        self.bar_item = pg.BarGraphItem(x=[], height=[], width=0.7)
        self.bars.addItem(self.bar_item)
        self.probabilities = np.zeros(0)
        self._label_style: dict[str, str] = {}

        self.fields = QWidget()
        self.fields.setObjectName("receptive_fields")
        self._fields_layout = QGridLayout(self.fields)
        self._fields_layout.setSpacing(4)
        self._fields_layout.setContentsMargins(0, 0, 0, 0)
        self.field_items: list[pg.ImageItem] = []
        self.fields_caption = QLabel()
        self.fields_caption.setWordWrap(True)
        self.fields_caption.setStyleSheet(f"color: {MUTED};")
        self.message = QLabel()
        self.message.setObjectName("digit_view_message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet(f"color: {MUTED}; padding: 24px;")

        # one row, so the panel reads in a dock under the network as well as on its own:
        # the digit | the answer | what the hidden neurons look for
        fields_column = QVBoxLayout()
        fields_column.addWidget(self.fields_caption)
        fields_column.addWidget(self.fields, 1)
        row = QHBoxLayout()
        row.addWidget(self.input_widget, 3)
        row.addWidget(self.bars, 4)
        row.addLayout(fields_column, 4)
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(buttons)
        layout.addLayout(row, 1)
        layout.addWidget(self.message)
        self.fields.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.input_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        session.lessonReplaced.connect(self.rebuild)
        session.datasetChanged.connect(self.rebuild)
        session.parametersChanged.connect(self.refresh)
        session.traceChanged.connect(self.refresh)
        session.stateChanged.connect(self.refresh)
        self.rebuild()

    def apply_appearance(self, appearance: object) -> None:
        """A new theme or zoom: the bar chart's background and axes follow; the images
        keep white paper and their colour scales."""
        colors = appearance.theme.plot  # type: ignore[attr-defined]
        zoom = float(appearance.zoom)  # type: ignore[attr-defined]
        adopt_theme_palette(self, appearance)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * zoom)
        for label in (self.title, self.fields_caption, self.message):
            label.setFont(font)
        self.bars.setBackground(colors.background)
        for side in ("left", "bottom"):
            axis = self.bars.getAxis(side)
            axis.setPen(pg.mkPen(colors.axis))
            axis.setTextPen(pg.mkPen(colors.axis))
            axis.setStyle(tickFont=font)
        axis_color = pg.mkColor(colors.axis).name()
        self._label_style = {"color": axis_color, "font-size": f"{font.pointSizeF():.0f}pt"}
        self.title.setStyleSheet(f"color: {axis_color}; font-weight: bold;")
        self.refresh()

    # -- structure -------------------------------------------------------------------

    def rebuild(self) -> None:
        """A new lesson: the image shape and one small image per first-layer neuron."""
        t = self.session.trainer
        self.shape = image_shape(t.network.sizes[0], t.lesson.view)
        while self._fields_layout.count():
            taken = self._fields_layout.takeAt(0)
            child = taken.widget() if taken is not None else None
            if child is not None:
                child.deleteLater()
        self.field_items = []
        problem = None if self.shape is not None else self._not_an_image()
        problem = problem or data_problem(self.session)
        for widget in (self.input_widget, self.bars, self.fields, self.fields_caption):
            widget.setVisible(problem is None)
        self.previous_button.setVisible(problem is None)
        self.next_button.setVisible(problem is None)
        self.message.setText(problem or "")
        self.message.setVisible(problem is not None)
        if problem is not None:
            self.title.setText("")
            return
        if t.network.depth > 1:
            count = min(t.network.sizes[1], MAX_FIELDS)
            columns = max(1, min(8, int(np.ceil(np.sqrt(count)))))
            labels = t.network.labels[1]
            for j in range(count):
                widget, _view, item = _image_widget(f"receptive_field_{j}", FIELD_SIDE)
                widget.setToolTip(f"{labels[j]}: its incoming weights, one square per input")
                item.setLookupTable(diverging_map().getLookupTable(nPts=256))
                self._fields_layout.addWidget(widget, j // columns, j % columns)
                self.field_items.append(item)
            more = t.network.sizes[1] - count
            self.fields_caption.setText(
                f"What {labels[0]}…{labels[count - 1]} look for"
                + (f" (the first {count} of {t.network.sizes[1]})" if more else "")
            )
            self.fields_caption.setToolTip(
                "Each neuron of the first hidden layer: its incoming weights laid out like "
                "the image; orange adds to its sum, blue takes away"
            )
        else:
            self.fields_caption.setText("")
        names = t.lesson.dataset.target_names
        if names is None or len(names) != t.network.sizes[-1]:
            names = t.network.labels[t.network.depth]
        self.class_names = list(names)
        axis = self.bars.getAxis("bottom")
        axis.setTicks([list(enumerate(self.class_names))])
        self.bars.setXRange(-0.6, len(self.class_names) - 0.4, padding=0)
        self.refresh()

    def _not_an_image(self) -> str:
        n = self.session.trainer.network.sizes[0]
        return (
            f"The inputs are not an image: this network has {n} inputs. A square number "
            "of at least 16 (8×8 digits, 28×28 MNIST) is drawn as a picture, or a lesson "
            'can declare its shape in its view: "input_image": [rows, columns].'
        )

    # -- following the pass ----------------------------------------------------------

    def _row(self) -> int | None:
        t = self.session.trainer
        if t.inputs.shape[0] == 0:
            return None
        rows = t.trace.indices if t.trace is not None else t.next_batch()
        return int(rows[0]) if len(rows) else None

    def _pick(self, step: int) -> None:
        t = self.session.trainer
        row = self.sample_row if self.sample_row is not None else 0
        self.session.select_sample((row + step) % t.inputs.shape[0])
        self.sample_row = (row + step) % t.inputs.shape[0]
        self._draw(self.sample_row)

    def refresh(self) -> None:
        if self.shape is None or data_problem(self.session) is not None:
            return
        t = self.session.trainer
        override = getattr(t, "override", None)
        row = int(override[0]) if override is not None and len(override) else self._row()
        self._draw(row)

    def _draw(self, row: int | None) -> None:
        t = self.session.trainer
        assert self.shape is not None
        self.sample_row = row
        if row is None:
            return
        pixels = as_image(t.inputs[row], self.shape)
        low, high = float(min(pixels.min(), 0.0)), float(max(pixels.max(), 1e-12))
        self.input_item.setImage(pixels, levels=(low, high))
        for j, item in enumerate(self.field_items):
            weights = as_image(t.network.weights[0][j], self.shape)
            edge = float(np.abs(weights).max()) or 1.0
            item.setImage(weights, levels=(-edge, edge))
        outputs = t.network.outputs(t.inputs[row : row + 1])[1][0]
        self.probabilities = outputs
        target = int(np.argmax(t.targets[row])) if t.targets.shape[1] > 1 else None
        predicted = int(np.argmax(outputs))
        brushes = [
            pg.mkBrush(PREDICTED_COLOR if k == predicted else BAR_COLOR)
            for k in range(len(outputs))
        ]
        pens = [
            pg.mkPen(TARGET_COLOR, width=4) if k == target else pg.mkPen("#6b8fb0", width=1)
            for k in range(len(outputs))
        ]
        self.bar_item.setOpts(x=np.arange(len(outputs)), height=outputs, brushes=brushes, pens=pens)
        top = max(1.0, float(outputs.max()))
        self.bars.setYRange(0, top, padding=0.02)
        names = self.class_names
        said = f"network says {names[predicted]} ({outputs[predicted]:.2f})"
        wanted = f", target {names[target]}" if target is not None else ""
        verdict = "" if target is None else (" ✔" if target == predicted else " ✘")
        self.title.setText(f"Sample {row + 1:,} of {t.inputs.shape[0]:,}{wanted} · {said}{verdict}")
        output = t.network.activations[-1]
        softmax = output is not None and output.name == "softmax"
        self.bars.setLabel("left", "probability" if softmax else "output", **self._label_style)
        self.bars.setToolTip(
            "The output layer's answer for this sample: the dark bar is the class the "
            "network picks, the orange outline the target"
        )

"""Data ▸ Import MNIST (IDX)…: the images and labels files of MNIST (or any IDX pair),
how many samples to take, and whether to scale the pixels to 0–1.

MNIST's pictures are 28×28, so they fit a network with 784 inputs and 10 outputs, like
seed 002's 784-20-20-10. When the open network does not fit, the dialog says so and can
start a new lesson with that network instead (``newLesson`` carries its trainer).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from bpsim.core.spec import (
    Dataset,
    InitSpec,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    TrainingSpec,
)
from bpsim.core.trainer import Trainer
from bpsim.datasets import DatasetError
from bpsim.datasets.idx import load_idx, read_idx_header
from bpsim.gui.dialogs.base import DataDialog, shape_text
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session

HIDDEN = (20, 20)  # seed 002's hidden layers


def seed002_lesson(dataset: Dataset) -> Lesson:
    """Seed 002's network for these data: inputs-20-20-classes, sigmoid hidden layers, a
    softmax output with cross-entropy, mini-batches of 32 and a validation split."""
    sizes = [dataset.inputs.shape[1], *HIDDEN, dataset.targets.shape[1]]
    layers = [LayerSpec(sizes[0])]
    layers += [LayerSpec(size, "sigmoid") for size in sizes[1:-1]]
    layers.append(LayerSpec(sizes[-1], "softmax"))
    return Lesson(
        layers=layers,
        loss="cross_entropy",
        optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.5),
        dataset=dataset,
        name=f"MNIST {'-'.join(map(str, sizes))}",
        description="Handwritten digits from MNIST's IDX files, on seed 002's network.",
        init=InitSpec("xavier_uniform", seed=0),
        training=TrainingSpec(batch_size=32, shuffle=True, seed=0, validation_fraction=0.1),
    )


class IdxImportDialog(DataDialog):
    """Import an IDX images file and its labels. From a test: ``set_paths(images,
    labels)``, then ``apply()`` (or ``new_lesson()``)."""

    newLesson = Signal(object)  # a Trainer for a new lesson with seed 002's network

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, controller, "Import MNIST (IDX files)", "idx_import", parent)
        form = QFormLayout()
        self.images_edit = self._file_row(form, "Images file:", "idx_import_images")
        self.labels_edit = self._file_row(form, "Labels file:", "idx_import_labels")
        self.samples = QSpinBox()
        self.samples.setObjectName("idx_import_size")
        self.samples.setRange(0, 2_000_000)
        self.samples.setSpecialValueText("all")
        self.samples.setValue(10_000)
        self.samples.setToolTip("How many of the first samples to take (all: every one)")
        form.addRow("Samples:", self.samples)
        self.scale = QCheckBox("Pixels from 0 to 1 (divide by 255)")
        self.scale.setObjectName("idx_import_scale")
        self.scale.setChecked(True)
        form.addRow("", self.scale)
        self.info = QLabel(
            "MNIST comes as train-images-idx3-ubyte and train-labels-idx1-ubyte (also "
            "gzip-compressed, .gz). Its 28×28 pictures need a network with 784 inputs and "
            "10 outputs."
        )
        self.info.setWordWrap(True)
        self.body.addLayout(form)
        self.body.addWidget(self.info)
        self.new_button = QPushButton("New lesson with seed 002's network (…-20-20-…)")
        self.new_button.setObjectName("idx_import_new_lesson")
        self.new_button.setToolTip(
            "Start a new, unsaved lesson with seed 002's network (sigmoid 20-20, softmax "
            "output, cross-entropy) for these data"
        )
        self.new_button.clicked.connect(self.new_lesson)
        self.new_button.setEnabled(False)
        self.body.addWidget(self.new_button)
        self.show_problem("Choose the images and the labels file.")
        self.resize(620, 320)

    def _file_row(self, form: QFormLayout, label: str, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.editingFinished.connect(self.describe)
        browse = QPushButton("Browse…")
        browse.setObjectName(f"{name}_browse")
        browse.clicked.connect(lambda: self._browse(edit))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(browse)
        form.addRow(label, row)
        return edit

    def _browse(self, edit: QLineEdit) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self, "IDX file", str(Path.home()))
        if chosen:
            edit.setText(chosen)
            self.describe()

    def set_paths(self, images: str | Path, labels: str | Path) -> None:
        self.images_edit.setText(str(images))
        self.labels_edit.setText(str(labels))
        self.describe()

    def describe(self) -> None:
        """Say what the two files hold (from their headers), before reading them."""
        parts = []
        for what, edit in (("images", self.images_edit), ("labels", self.labels_edit)):
            text = edit.text().strip()
            if not text:
                continue
            try:
                kind, shape = read_idx_header(text)
            except DatasetError as error:
                self.show_problem(str(error))
                self.new_button.setEnabled(False)
                return
            parts.append(f"{what}: {' × '.join(f'{s:,}' for s in shape)} {kind}")
        if parts:
            net = self.session.trainer.network
            self.show_fine(
                "; ".join(parts) + f". The open network has {net.sizes[0]} inputs and "
                f"{net.sizes[-1]} outputs."
            )
        self.new_button.setEnabled(len(parts) == 2)

    def make_dataset(self) -> Dataset:
        images, labels = self.images_edit.text().strip(), self.labels_edit.text().strip()
        if not images or not labels:
            raise ValueError("choose both the images and the labels file")
        size = int(self.samples.value()) or None
        return load_idx(images, labels, size=size, scale=self.scale.isChecked())

    def undo_text(self) -> str:
        return f"Import {Path(self.images_edit.text()).name}"

    def new_lesson(self) -> bool:
        """Read the files and hand a new lesson with seed 002's network to ``newLesson``."""
        try:
            dataset = self.make_dataset()
            trainer = Trainer(seed002_lesson(dataset))
        except (DatasetError, ValueError) as error:
            self.show_problem(str(error))
            return False
        self.show_fine(f"{shape_text(dataset)}: a new lesson with a 784-20-20-10 network.")
        self.newLesson.emit(trainer)
        self.accept()
        return True

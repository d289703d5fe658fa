"""Data ▸ Import CSV…: pick a file, say which columns are inputs and which targets (a
class column becomes one target per class, "one-hot"), optionally standardise the
inputs as seed 002 does, see the first rows, and use the data.

The file is read with :func:`bpsim.datasets.load_csv`, whose messages name the row and
column of a problem; they are shown in the dialog and nothing in the lesson changes. The
data replace the lesson's only when they fit the network, or, with "Fit the network to
the data" ticked, together with a network resized to them (input and output sizes,
output activation and loss) as one undoable edit.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from bpsim.core.spec import Dataset, Lesson
from bpsim.datasets import load_csv
from bpsim.datasets.system import NotRegularFile, open_regular
from bpsim.fileformat.dataset import ORIGIN_ATTR
from bpsim.gui.dialogs.base import DataDialog, shape_text
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.lessons import structure
from bpsim.lessons.dataset_edit import fit_problem
from bpsim.text import is_number

ROLES = ("input", "target", "class (one-hot)", "ignore")
PREVIEW_ROWS = 12
SNIFF_BYTES = 256 * 1024
#: Files up to this size are read again after each change, so problems show at once.
LIVE_CHECK_BYTES = 4 * 1024 * 1024


def sniff(path: Path) -> tuple[list[str] | None, list[list[str]]]:
    """The header (None when the first row is data) and the first rows, for the preview.
    Problems here are left to :func:`load_csv`, which names them exactly."""
    with open_regular(path) as f:  # a FIFO would wait for a writer forever
        head = f.read(SNIFF_BYTES)
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = text.splitlines()
    if len(head) == SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut
    try:
        rows = [
            r
            for r in csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True)
            if r and any(v.strip() for v in r)
        ]
    except csv.Error:
        rows = [line.split(",") for line in lines if line.strip()]
    if not rows:
        return None, []
    first = [v.strip() for v in rows[0]]
    if any(not is_number(v) for v in first):
        return first, rows[1 : 1 + PREVIEW_ROWS * 4]
    return None, rows[: PREVIEW_ROWS * 4]


class CsvImportDialog(DataDialog):
    """Import a CSV file. From a test: ``set_path(path)``, ``set_role(column, role)``
    (``"input"``, ``"target"``, ``"class (one-hot)"``, ``"ignore"``), then ``apply()``."""

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, controller, "Import CSV", "csv_import", parent)
        self.path: Path | None = None
        self.header: list[str] | None = None
        row = QHBoxLayout()
        row.addWidget(QLabel("File:"))
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("csv_import_path")
        self.path_edit.setToolTip("The CSV file: values separated by commas, UTF-8 text")
        self.path_edit.editingFinished.connect(lambda: self.set_path(self.path_edit.text()))
        row.addWidget(self.path_edit, 1)
        browse = QPushButton("Browse…")
        browse.setObjectName("csv_import_browse")
        browse.setToolTip("Choose the file")
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        self.body.addLayout(row)

        self.body.addWidget(
            QLabel(
                "What each column is (the network has "
                f"{session.trainer.network.sizes[0]} inputs and "
                f"{session.trainer.network.sizes[-1]} outputs):"
            )
        )
        self.columns = QTableWidget(0, 3)
        self.columns.setObjectName("csv_import_columns")
        self.columns.setHorizontalHeaderLabels(["column", "first values", "use as"])
        self.columns.verticalHeader().hide()
        self.columns.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.columns.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.columns.horizontalHeader().setSectionResizeMode(
            2, QHeaderView.ResizeMode.ResizeToContents
        )
        self.columns.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.body.addWidget(self.columns, 1)
        self.standardize = QCheckBox(
            "Standardise the inputs (mean 0, spread 1 per column, as seed 002 does)"
        )
        self.standardize.setObjectName("csv_import_standardize")
        self.standardize.setToolTip(
            "Shift and scale every input column to mean 0 and standard deviation 1: inputs "
            "on very different scales otherwise make gradient descent zigzag"
        )
        self.standardize.toggled.connect(lambda _: self._changed())
        self.body.addWidget(self.standardize)
        self.fit_network = QCheckBox(
            "Fit the network to the data: input and output sizes, output activation and loss"
        )
        self.fit_network.setObjectName("csv_import_fit_network")
        self.fit_network.setToolTip(
            "Resize the input and output layers to the chosen columns and pick the output "
            "activation and loss for the targets (softmax and cross-entropy for a class "
            "column, sigmoid and binary cross-entropy for 0/1, linear and MSE for numbers); "
            "Edit ▸ Undo takes the data and the changes back together"
        )
        self.fit_network.setChecked(True)
        self.fit_network.toggled.connect(lambda _: self._changed())
        self.body.addWidget(self.fit_network)
        self.body.addWidget(QLabel("The first rows of the file:"))
        self.preview = QTableWidget(0, 0)
        self.preview.setObjectName("csv_import_preview")
        self.preview.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.body.addWidget(self.preview, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(self.refresh)
        self.show_problem("Choose a CSV file.")
        self.use_button.setEnabled(False)
        self.resize(720, 640)

    # -- the file --------------------------------------------------------------------

    def _browse(self) -> None:
        folder = (
            str(self.session.path.parent) if self.session.path is not None else str(Path.home())
        )
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Import CSV", folder, "CSV files (*.csv *.txt);;All files (*)"
        )
        if chosen:
            self.set_path(chosen)

    def set_path(self, path: str | Path) -> bool:
        """Read the file's header and first rows and suggest what each column is."""
        text = str(path).strip()
        self.path_edit.setText(text)
        self.columns.setRowCount(0)
        self.preview.clear()
        self.preview.setRowCount(0)
        self.preview.setColumnCount(0)
        if not text:
            self.path = None
            self.show_problem("Choose a CSV file.")
            self.use_button.setEnabled(False)
            return False
        candidate = Path(text)
        try:
            header, rows = sniff(candidate)
        except FileNotFoundError:
            return self._refuse(f"csv: file not found: {candidate}")
        except IsADirectoryError:
            return self._refuse(f"csv: {candidate} is a folder, not a file")
        except NotRegularFile as error:  # worded as load_csv (and bpsim) word it
            return self._refuse(f"csv: {candidate} {error.strerror}")
        except OSError as error:
            return self._refuse(f"csv: cannot open {candidate}: {error.strerror or error}")
        if header is None and not rows:
            return self._refuse("csv: the file is empty")
        self.path, self.header = candidate, header
        width = len(header) if header is not None else len(rows[0])
        names = header if header is not None else [f"column {i}" for i in range(width)]
        self._fill_preview(names, rows)
        self._fill_columns(names, rows)
        self.refresh()
        return True

    def _refuse(self, text: str) -> bool:
        self.path = None
        self.show_problem(text)
        self.use_button.setEnabled(False)
        return False

    def _fill_preview(self, names: list[str], rows: list[list[str]]) -> None:
        self.preview.setColumnCount(len(names))
        self.preview.setHorizontalHeaderLabels(names)
        shown = rows[:PREVIEW_ROWS]
        self.preview.setRowCount(len(shown))
        for r, values in enumerate(shown):
            for c, value in enumerate(values[: len(names)]):
                self.preview.setItem(r, c, QTableWidgetItem(value))

    def _fill_columns(self, names: list[str], rows: list[list[str]]) -> None:
        """One line per column with a role box; the last column is suggested as the
        target (a class column when it holds text), the others as inputs."""
        self.columns.setRowCount(len(names))
        n_out = self.session.trainer.network.sizes[-1]
        for c, name in enumerate(names):
            values = [r[c].strip() for r in rows if c < len(r)]
            numeric = all(is_number(v) for v in values if v)
            sample = ", ".join(values[:4]) + (" …" if len(values) > 4 else "")
            self.columns.setItem(c, 0, QTableWidgetItem(name))
            self.columns.setItem(c, 1, QTableWidgetItem(sample))
            box = QComboBox()
            box.setObjectName(f"csv_import_role_{c}")
            box.addItems(ROLES)
            last = c == len(names) - 1
            if last:
                role = (
                    "target"
                    if numeric and (n_out == 1 or len(set(values)) > n_out)
                    else "class (one-hot)"
                )
            else:
                role = "input" if numeric else "ignore"
            box.setCurrentText(role)
            box.currentIndexChanged.connect(lambda _: self._changed())
            self.columns.setCellWidget(c, 2, box)

    # -- the choices -----------------------------------------------------------------

    def role_box(self, column: int) -> QComboBox:
        box = self.columns.cellWidget(column, 2)
        assert isinstance(box, QComboBox)
        return box

    def set_role(self, column: int | str, role: str) -> None:
        """Say what a column (by number or header name) is."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        index = column if isinstance(column, int) else self._column_index(column)
        self.role_box(index).setCurrentText(role)
        self.refresh()

    def _column_index(self, name: str) -> int:
        for c in range(self.columns.rowCount()):
            item = self.columns.item(c, 0)
            if item is not None and item.text() == name:
                return c
        raise ValueError(f"no column {name!r}")

    def roles(self) -> list[str]:
        return [self.role_box(c).currentText() for c in range(self.columns.rowCount())]

    def _column_ref(self, c: int) -> str | int:
        """How load_csv is told the column: its header name, or its position."""
        if self.header is not None and self.header.count(self.header[c]) == 1:
            return self.header[c]
        return c

    def _changed(self) -> None:
        self._timer.start()

    # -- the data set ----------------------------------------------------------------

    def make_dataset(self) -> Dataset:
        if self.path is None:
            raise ValueError("choose a CSV file first")
        roles = self.roles()
        inputs = [self._column_ref(c) for c, r in enumerate(roles) if r == "input"]
        targets = [
            self._column_ref(c) for c, r in enumerate(roles) if r in ("target", "class (one-hot)")
        ]
        classes = [self._column_ref(c) for c, r in enumerate(roles) if r == "class (one-hot)"]
        if not inputs:
            raise ValueError("choose at least one input column")
        if not targets:
            raise ValueError("choose at least one target column")
        if len(classes) > 1:
            raise ValueError("only one column can be the class column (one-hot)")
        dataset = load_csv(
            self.path,
            inputs,
            targets,
            one_hot=classes[0] if classes else None,
            standardize=self.standardize.isChecked(),
        )
        self._keep_file_form(dataset)
        return dataset

    def _keep_file_form(self, dataset: Dataset) -> None:
        """Saved beside (or under) the CSV, the lesson refers to the file; saved
        elsewhere, it holds the rows (a lesson may only read files in its own folder)."""
        assert self.path is not None
        try:
            csv_file = self.path.resolve()
        except OSError:
            dataset.source = {}
            return
        dataset.source = dict(dataset.source, csv=csv_file.name)
        setattr(dataset, ORIGIN_ATTR, (csv_file.parent, csv_file))

    def check(self) -> Dataset | None:
        """As the base dialog's, but with "Fit the network" ticked any readable data set
        is fine: the network will be resized to it."""
        if not self.fit_network.isChecked():
            return super().check()
        from bpsim.datasets import DatasetError

        try:
            dataset = self.make_dataset()
        except (DatasetError, ValueError, OSError) as error:
            self.show_problem(str(error))
            return None
        if fit_problem(dataset.inputs, dataset.targets, self.session.trainer.network) is None:
            self.show_fine(f"{shape_text(dataset)}: fits this network.")
            return dataset
        activation, loss = output_for(dataset.targets)
        self.show_fine(
            f"{shape_text(dataset)}: the network will get {dataset.inputs.shape[1]} inputs "
            f"and {dataset.targets.shape[1]} {activation} outputs, loss {loss}."
        )
        return dataset

    def apply(self) -> bool:
        """Use the data; when they do not fit and "Fit the network" is ticked, resize the
        network in the same undoable edit."""
        dataset = self.check()
        if dataset is None:
            return False
        if fit_problem(dataset.inputs, dataset.targets, self.session.trainer.network) is None:
            return super().apply()
        text = self.undo_text() + " and fit the network"
        try:
            self.controller.structure.apply(lambda lesson: fitted_to(lesson, dataset, text))
        except (structure.StructureError, ValueError) as error:
            self.show_problem(str(error))
            return False
        self.applied.emit(text)
        self.accept()
        return True

    def undo_text(self) -> str:
        return f"Import {self.path.name if self.path else 'CSV'}"

    def refresh(self) -> None:
        """Read the file with the choices made and say whether the data fit."""
        self._timer.stop()
        if self.path is None:
            return
        try:
            size = self.path.stat().st_size
        except OSError:
            size = 0
        if size > LIVE_CHECK_BYTES:
            self.show_fine(f"{self.path.name}: {size / 1e6:.1f} MB; checked when you press Use.")
            self.use_button.setEnabled(True)
            return
        self.use_button.setEnabled(self.check() is not None)


def output_for(targets: np.ndarray) -> tuple[str, str]:
    """The output activation and loss for these targets: one-hot rows are classes
    (softmax, cross-entropy), one 0/1 column a yes/no answer (sigmoid, binary
    cross-entropy), anything else numbers (linear, mean squared error)."""
    t = np.asarray(targets, dtype=np.float64)
    binary = bool(np.isin(t, (0.0, 1.0)).all())
    if binary and t.shape[1] > 1 and bool((t.sum(axis=1) == 1.0).all()):
        return "softmax", "cross_entropy"
    if binary:
        return "sigmoid", "binary_cross_entropy"
    return "linear", "mse"


def fitted_to(lesson: Lesson, dataset: Dataset, description: str) -> structure.StructureEdit:
    """``lesson`` with input and output layers sized to ``dataset``, the output activation
    and loss its targets need, and ``dataset`` as its data: one structural edit, so one
    undo. Hidden layers and their weights stay; training starts afresh on the new data."""
    edit = structure.StructureEdit(lesson, lambda p: p.copy(), description)
    last = len(lesson.layers) - 1
    for layer, wanted in ((0, dataset.inputs.shape[1]), (last, dataset.targets.shape[1])):
        while edit.lesson.layers[layer].size < wanted:
            edit = _then(edit, structure.add_neuron(edit.lesson, layer))
        while edit.lesson.layers[layer].size > wanted:
            size = edit.lesson.layers[layer].size
            edit = _then(edit, structure.remove_neuron(edit.lesson, layer, size - 1))
    activation, loss = output_for(dataset.targets)
    if edit.lesson.layers[last].activation != activation:
        edit = _then(edit, structure.set_activation(edit.lesson, last, activation))
    layers = [dataclasses.replace(layer) for layer in edit.lesson.layers]
    layers[0].labels = list(dataset.input_names) if dataset.input_names else None
    if dataset.target_names and len(dataset.target_names) == layers[last].size:
        layers[last].labels = list(dataset.target_names)
    lesson = dataclasses.replace(edit.lesson, layers=layers, loss=loss, dataset=dataset, state=None)
    return structure.StructureEdit(
        lesson, edit.map_parameters, description, keep_optimizer=False, restart=True
    )


def _then(
    first: structure.StructureEdit, second: structure.StructureEdit
) -> structure.StructureEdit:
    """Two edits as one: the second's lesson, parameters mapped through both."""
    first_map, second_map = first.map_parameters, second.map_parameters
    return structure.StructureEdit(
        second.lesson, lambda p: second_map(first_map(p)), second.description, keep_optimizer=False
    )

"""Handouts: the step on screen as a worked example (Markdown, HTML, PDF) with a picture of
the network, and the current parameters and optimizer state as JSON, NumPy or PyTorch.

The worked example is :mod:`bpsim.teaching.worked_example`'s text (the seeds' order: forward
pass, loss, backward pass, update), made on a copy of the trainer so the lesson on screen
never moves. Which step: while a step is under way, that step (on the same batch, with the
same numbers as on screen); right after an update, the step just done (from the trainer as
it was when that step began, kept by :class:`~bpsim.gui.state.rewind.PhaseMemory`); otherwise
the next step. The picture is the network editor's scene rendered to a PNG: next to a
Markdown file, embedded in HTML and PDF.

Nothing here opens a modal dialog: the menu actions open a file dialog with ``open()``,
and :meth:`HandoutExporter.export_worked_example` / :meth:`export_parameters` write
without asking (tests, scripts).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QMarginsF,
    QObject,
    QRectF,
    QSizeF,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QFileDialog, QGraphicsView, QWidget

from bpsim.core.trainer import DivergenceError, Phase, PhaseError, Snapshot, Trainer
from bpsim.fileformat.atomic import atomic_write_bytes
from bpsim.gui.state.rewind import PhaseMemory
from bpsim.gui.state.session import Session
from bpsim.gui.style import palette as drawing
from bpsim.teaching.exports import numpy_snippet, parameters_json, pytorch_snippet
from bpsim.teaching.worked_example import WorkedExample, run_explained_step, to_html, to_markdown

#: format → (suffix, file-dialog filter)
HANDOUT_FORMATS: dict[str, tuple[str, str]] = {
    "markdown": (".md", "Markdown (*.md)"),
    "html": (".html", "Web page (*.html *.htm)"),
    "pdf": (".pdf", "PDF (*.pdf)"),
}
PARAMETER_FORMATS: dict[str, tuple[str, str]] = {
    "json": (".json", "JSON (*.json)"),
    "numpy": (".py", "Python with NumPy (*.py)"),
    "pytorch": (".py", "Python with PyTorch (*.py)"),
}
PICTURE_WIDTH = 1400  # pixels of the network picture
PDF_MARGIN_MM = 15
PICTURE_ALT = "The network"
PICTURE_CAPTION = "The network as it was on screen when this handout was made."
#: The report says "the first batch" (it is written for `bpsim explain`, which takes the
#: first step); a handout may be of any step.
FIRST_BATCH = "One step of training on the first batch ("
THIS_BATCH = "One step of training on this batch ("


def clone_trainer(trainer: Trainer, snapshot: Snapshot | None = None) -> Trainer:
    """An independent trainer at ``snapshot`` (default: where ``trainer`` stands now),
    with the same settings, so a handout step never moves the lesson on screen."""
    clone = Trainer(trainer.to_lesson())
    clone.restore(snapshot if snapshot is not None else trainer.snapshot())
    return clone


def worked_example_for(trainer: Trainer, memory: PhaseMemory | None) -> tuple[WorkedExample, str]:
    """The worked example of the step on screen, and a few words saying which step it is.
    Raises DivergenceError when that step diverges."""
    start = memory.step_start() if memory is not None else None
    if trainer.phase is Phase.UPDATED and start is not None:
        base, which = start, f"step {trainer.step_count}, the step just done"
    elif trainer.phase in (Phase.READY, Phase.UPDATED):
        base, which = trainer.snapshot(), f"step {trainer.step_count + 1}, the next step"
    else:
        base, which = trainer.snapshot(), f"step {trainer.step_count + 1}, the step under way"
    clone = clone_trainer(trainer, base)
    number = clone.step_count + 1
    example = run_explained_step(clone)
    example.title = example.title or "Worked example"
    example.description = example.description + "\n\n" if example.description.strip() else ""
    example.description += f"Step {number} of training."
    return example, which


def network_picture(view: QGraphicsView, width: int = PICTURE_WIDTH) -> QImage:
    """The editor's whole scene as an image ``width`` pixels wide, on the scene's own
    background (the dark theme's light text would vanish on white)."""
    scene = view.scene()
    rect = scene.sceneRect()
    if not rect.isValid() or rect.width() <= 0:
        rect = scene.itemsBoundingRect()
    height = max(int(width * rect.height() / max(rect.width(), 1.0)), 1)
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor(drawing.BACKGROUND))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, width, height), rect, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    return image


def _aspect(image: QImage | None) -> float:
    return 1.0 if image is None or image.width() == 0 else image.height() / image.width()


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes, PySide6 a str
    buffer.close()
    return bytes(data.data())


def handout_markdown(example: WorkedExample, picture: str | None) -> str:
    """The worked example in Markdown, with ``![The network](picture)`` under the title."""
    text = to_markdown(example).replace(FIRST_BATCH, THIS_BATCH)
    if picture is None:
        return text
    lines = text.split("\n")
    lines[1:1] = ["", f"![{PICTURE_ALT}]({picture})", "", f"*{PICTURE_CAPTION}*"]
    return "\n".join(lines)


def handout_html(
    example: WorkedExample,
    picture_src: str | None,
    aspect: float = 1.0,
    width: int = 640,
    web: bool = True,
) -> str:
    """The worked example as a standalone page, the picture (a URL or a data: URI, its
    height / width ``aspect``) under the title."""
    page = to_html(example).replace(FIRST_BATCH, THIS_BATCH)
    if picture_src is None:
        return page
    height = round(width * aspect)
    # a browser shrinks the picture to a narrow window; Qt's layout (the PDF) takes the
    # size as given and would misread "height:auto"
    style = ' style="max-width:100%;height:auto"' if web else ""
    # the page's line-height of 1.5 would stretch the picture's line by half its height
    figure = (
        f'<p style="text-align:center; line-height:100%"><img src="{picture_src}" '
        f'alt="{PICTURE_ALT}" width="{width}" height="{height}"{style}></p>\n'
        f'<p style="text-align:center"><small>{PICTURE_CAPTION}</small></p>'
    )
    head, sep, tail = page.partition("</h1>")
    return head + sep + "\n" + figure + tail if sep else figure + page


def pdf_document(html_text: str, picture: QImage | None) -> QTextDocument:
    """The handout laid out on A4 pages with :data:`PDF_MARGIN_MM` margins, the picture as
    a document resource. Paginated here (in points at the screen's 96 dpi, which the PDF
    scales to its own), so Qt prints it as laid out instead of adding a 2 cm frame of
    its own inside the margins."""
    document = QTextDocument()
    if picture is not None:
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl("network.png"), picture)
    document.setHtml(html_text)
    width_mm, height_mm = 210 - 2 * PDF_MARGIN_MM, 297 - 2 * PDF_MARGIN_MM
    px_per_mm = 96 / 25.4
    document.setPageSize(QSizeF(width_mm * px_per_mm, height_mm * px_per_mm))
    return document


def write_pdf(path: Path, html_text: str, picture: QImage | None) -> None:
    """Print the handout (:func:`pdf_document`) to a PDF, written atomically."""
    document = pdf_document(html_text, picture)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    margin = PDF_MARGIN_MM
    writer.setPageMargins(QMarginsF(margin, margin, margin, margin), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(path.stem)
    writer.setCreator("bpsim")
    document.print_(writer)
    del writer  # finishes the PDF
    buffer.close()
    atomic_write_bytes(path, bytes(data.data()))


class HandoutExporter(QObject):
    """File ▸ Export: the worked example and the parameters, with or without a dialog.

    ``message`` says what was written (status bar); ``problem`` says what went wrong
    (banner), naming the file.
    """

    message = Signal(str)
    problem = Signal(str)

    def __init__(
        self,
        session: Session,
        editor: QGraphicsView | None,
        memory: PhaseMemory | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.editor = editor
        self.memory = memory
        self._parent_widget = parent
        self.dialog: QFileDialog | None = None
        #: called before the network is pictured (the window ends a pass animation)
        self.before_picture: Callable[[], None] | None = None

    # -- without dialogs -------------------------------------------------------------------

    def export_worked_example(self, path: str | Path, kind: str) -> list[Path]:
        """Write the step on screen as a worked example; returns the files written (a
        Markdown handout also writes its picture next to it), [] on a problem."""
        path = Path(path)
        if kind not in HANDOUT_FORMATS:
            self.problem.emit(f"{path.name}: unknown handout format '{kind}'")
            return []
        try:
            example, which = worked_example_for(self.session.trainer, self.memory)
        except (DivergenceError, PhaseError, ValueError) as error:
            self.problem.emit(f"Could not write the worked example {path.name}: {error}")
            return []
        if self.before_picture is not None:
            self.before_picture()  # e.g. end an animation: a still picture
        picture = network_picture(self.editor) if self.editor is not None else None
        written: list[Path] = []
        try:
            if kind == "markdown":
                name = None
                if picture is not None:
                    picture_path = path.with_name(path.stem + "-network.png")
                    atomic_write_bytes(picture_path, png_bytes(picture))
                    written.append(picture_path)
                    name = picture_path.name
                atomic_write_bytes(path, handout_markdown(example, name).encode("utf-8"))
            elif kind == "html":
                src = None
                if picture is not None:
                    src = "data:image/png;base64," + base64.b64encode(png_bytes(picture)).decode()
                page = handout_html(example, src, _aspect(picture))
                atomic_write_bytes(path, page.encode("utf-8"))
            else:
                src = "network.png" if picture is not None else None
                page = handout_html(example, src, _aspect(picture), 600, web=False)
                write_pdf(path, page, picture)
        except OSError as error:
            self.problem.emit(f"Could not write {path}: {error.strerror or error}")
            return []
        written.insert(0, path)
        self.message.emit(f"Wrote the worked example of {which} to {path.name}")
        return written

    def export_parameters(self, path: str | Path, kind: str) -> bool:
        """Write the parameters and optimizer state as JSON, a NumPy or a PyTorch snippet."""
        path = Path(path)
        makers = {"json": parameters_json, "numpy": numpy_snippet, "pytorch": pytorch_snippet}
        if kind not in makers:
            self.problem.emit(f"{path.name}: unknown export format '{kind}'")
            return False
        try:
            text = makers[kind](self.session.trainer)
            atomic_write_bytes(path, text.encode("utf-8"))
        except ValueError as error:
            self.problem.emit(f"Could not export {path.name}: {error}")
            return False
        except OSError as error:
            self.problem.emit(f"Could not write {path}: {error.strerror or error}")
            return False
        self.message.emit(f"Wrote the parameters to {path.name}")
        return True

    # -- with a dialog ---------------------------------------------------------------------

    def ask(self, what: str, kind: str) -> QFileDialog:
        """Open a (non-blocking) save dialog; the file chosen is written when accepted.
        ``what`` is "handout" or "parameters"."""
        formats = HANDOUT_FORMATS if what == "handout" else PARAMETER_FORMATS
        suffix, name_filter = formats[kind]
        lesson = self.session.trainer.lesson.name or "lesson"
        stem = (
            "".join(c if c.isalnum() or c in "-_" else "-" for c in lesson).strip("-") or "lesson"
        )
        folder = self.session.path.parent if self.session.path is not None else Path.home()
        extra = {"handout": "-worked-example", "numpy": "-numpy", "pytorch": "-pytorch"}
        tail = extra["handout"] if what == "handout" else extra.get(kind, "-parameters")
        title = "Export the worked example" if what == "handout" else "Export the parameters"
        dialog = QFileDialog(self._parent_widget, title, str(folder / f"{stem}{tail}{suffix}"))
        dialog.setObjectName("export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix.lstrip("."))
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def chosen(file: str) -> None:
            if what == "handout":
                self.export_worked_example(file, kind)
            else:
                self.export_parameters(file, kind)

        dialog.fileSelected.connect(chosen)
        self.dialog = dialog
        dialog.open()
        return dialog

    def actions(self, parent: QWidget) -> dict[str, QAction]:
        """File ▸ Export entries, by object name."""
        specs = (
            ("export_markdown", "Worked example as &Markdown…", "handout", "markdown",
             "Write the step on screen as a worked example in Markdown, with a picture of "
             "the network"),
            ("export_html", "Worked example as &HTML…", "handout", "html",
             "Write the step on screen as a worked example: one web page with the picture"),
            ("export_pdf", "Worked example as &PDF…", "handout", "pdf",
             "Write the step on screen as a worked example in a PDF, ready to print"),
            ("export_json", "Parameters as &JSON…", "parameters", "json",
             "Write the weights, biases and optimizer state as JSON (exact numbers)"),
            ("export_numpy", "Parameters as &NumPy snippet…", "parameters", "numpy",
             "Write a Python script with the network in NumPy: forward(x) gives bpsim's "
             "outputs bit for bit"),
            ("export_pytorch", "Parameters as &PyTorch snippet…", "parameters", "pytorch",
             "Write a Python script building the same network and optimizer state in "
             "PyTorch, to go on training there"),
        )  # fmt: skip
        actions: dict[str, QAction] = {}
        for name, text, what, kind, tip in specs:
            action = QAction(text, parent)
            action.setObjectName(name)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, w=what, k=kind: self.ask(w, k))
            actions[name] = action
        return actions

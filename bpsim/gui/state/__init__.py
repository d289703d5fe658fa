"""The Qt-side model of the open lesson (QtCore only, never QtWidgets): ``session`` (the only
writer of the trainer and the lesson), ``controller`` (turns wishes into undo commands),
``commands`` (every QUndoCommand), ``rewind`` (the timeline behind Qt signals)."""

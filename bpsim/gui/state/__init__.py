"""The Qt-side model of the open lesson (QtCore and QtGui only, never QtWidgets; checked by
tests/test_gui_state_headless.py): ``session`` (the only writer of the trainer and the
lesson, and the only emitter of its signals), ``controller`` (checks what views ask for
against bpsim.core.rules and pushes undo commands), ``commands`` (every QUndoCommand;
each changes the lesson only through the session), ``rewind`` (the training timeline,
moved through the session)."""

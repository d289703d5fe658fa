"""Test-wide set-up: Qt runs offscreen, so the GUI tests need no screen."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

"""Test-wide set-up: Qt runs offscreen, so the GUI tests need no screen; windows that
autosave (``bpsim``'s own, ``MainWindow(recovery=True)``) write to a temporary folder,
never to the user's recovery folder; and settings (recent files, layout …) written once a
test has named the application go to a temporary home, not the user's (XDG folders)."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = tempfile.mkdtemp(prefix="bpsim-test-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ.setdefault("BPSIM_RECOVERY_DIR", os.path.join(_HOME, "recovery"))
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")

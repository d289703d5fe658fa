"""What bpsim remembers between runs: theme, zoom, presentation preferences, recent files,
the window and panel layout, animation speed, and whether the first-run tour was shown.

One :class:`Settings` object wraps one ``QSettings`` store and gives every value a type, a
default and a range, so a hand-edited or stale file can never break the window: a value
that cannot be read is simply the default. Only :func:`bpsim.gui.app.run_app` opens the
user's real store (:meth:`Settings.open`); a window made in a test reads and writes
nothing unless a test hands it a store of its own. ``BPSIM_SETTINGS=/path/file.ini``
points the store at an ini file instead (tests, portable installs, a classroom image).

Recent files are shared with the File menu: it calls :meth:`Settings.add_recent_file`
and :meth:`Settings.recent_files`, and the list is written at once, so a crash loses
nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QSettings

from bpsim.gui.host import Host
from bpsim.gui.style.appearance import (
    DEFAULT_PRESENTATION_THEME,
    DEFAULT_PRESENTATION_ZOOM,
    DEFAULT_THEME,
    MAX_ZOOM,
    MIN_ZOOM,
    THEMES,
)

if TYPE_CHECKING:
    from bpsim.gui.services.documents import DocumentManager
    from bpsim.gui.services.presentation import PresentationMode
    from bpsim.gui.style.appearance import Appearance

#: An environment variable naming an ini file to use instead of the user's settings.
SETTINGS_ENV = "BPSIM_SETTINGS"
ORGANIZATION = "bpsim"
APPLICATION = "bpsim"
MAX_RECENT_FILES = 10
#: The pass animation's speeds (Teach ▸ Animation speed), by the names it uses.
ANIMATION_SPEED_NAMES = ("slow", "normal", "fast")

THEME = "appearance/theme"
ZOOM = "appearance/zoom"
PRESENTATION_THEME = "presentation/theme"
PRESENTATION_ZOOM = "presentation/zoom"
KEY_LEGEND = "presentation/key_legend"
ANIMATION_SPEED = "animation/speed"
RECENT_FILES = "files/recent"
GEOMETRY = "window/geometry"  # the keys MainWindow.save_layout writes
STATE = "window/state"
TOUR_SHOWN = "help/tour_shown"

#: What "Restore default settings" forgets; recent files are kept (they are the user's
#: work, not a preference).
PREFERENCE_KEYS = (
    THEME,
    ZOOM,
    PRESENTATION_THEME,
    PRESENTATION_ZOOM,
    KEY_LEGEND,
    ANIMATION_SPEED,
    GEOMETRY,
    STATE,
    TOUR_SHOWN,
)


def _as_float(value: object, default: float, low: float, high: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    if not math.isfinite(number):
        return default
    return min(max(number, low), high)


class Remembered(Host, Protocol):
    """What the settings put back and follow: the window as every feature sees it, and
    the three parts of it that hold preferences (the window passes itself)."""

    @property
    def appearance(self) -> Appearance: ...

    @property
    def presentation(self) -> PresentationMode: ...

    @property
    def documents(self) -> DocumentManager: ...


def _as_bool(value: object, default: bool) -> bool:
    """QSettings hands back "true"/"false" strings from ini files and bools from others."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if isinstance(value, int):
        return bool(value)
    return default


def _as_theme(value: object, default: str) -> str:
    return value if isinstance(value, str) and value in THEMES else default


class Settings:
    """Typed access to one QSettings store; see the module doc."""

    def __init__(self, store: QSettings) -> None:
        self.store = store

    @classmethod
    def open(cls) -> Settings:
        """The user's settings (or the ini file :data:`SETTINGS_ENV` names)."""
        path = os.environ.get(SETTINGS_ENV)
        if path:
            return cls.at(path)
        return cls(QSettings(ORGANIZATION, APPLICATION))

    @classmethod
    def at(cls, path: str | Path) -> Settings:
        """Settings kept in the ini file ``path`` (created when first written)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def sync(self) -> None:
        """Write pending changes to disk now (QSettings otherwise does it lazily)."""
        self.store.sync()

    # -- appearance --------------------------------------------------------------------

    @property
    def theme(self) -> str:
        return _as_theme(self.store.value(THEME), DEFAULT_THEME)

    @theme.setter
    def theme(self, name: str) -> None:
        self.store.setValue(THEME, _as_theme(name, DEFAULT_THEME))

    @property
    def zoom(self) -> float:
        return _as_float(self.store.value(ZOOM), 1.0, MIN_ZOOM, MAX_ZOOM)

    @zoom.setter
    def zoom(self, value: float) -> None:
        self.store.setValue(ZOOM, _as_float(value, 1.0, MIN_ZOOM, MAX_ZOOM))

    @property
    def presentation_theme(self) -> str:
        return _as_theme(self.store.value(PRESENTATION_THEME), DEFAULT_PRESENTATION_THEME)

    @presentation_theme.setter
    def presentation_theme(self, name: str) -> None:
        self.store.setValue(PRESENTATION_THEME, _as_theme(name, DEFAULT_PRESENTATION_THEME))

    @property
    def presentation_zoom(self) -> float:
        return _as_float(
            self.store.value(PRESENTATION_ZOOM), DEFAULT_PRESENTATION_ZOOM, MIN_ZOOM, MAX_ZOOM
        )

    @presentation_zoom.setter
    def presentation_zoom(self, value: float) -> None:
        self.store.setValue(
            PRESENTATION_ZOOM, _as_float(value, DEFAULT_PRESENTATION_ZOOM, MIN_ZOOM, MAX_ZOOM)
        )

    @property
    def key_legend(self) -> bool:
        """Whether presentation mode shows the legend of keys."""
        return _as_bool(self.store.value(KEY_LEGEND), True)

    @key_legend.setter
    def key_legend(self, on: bool) -> None:
        self.store.setValue(KEY_LEGEND, bool(on))

    @property
    def animation_speed(self) -> str:
        """The pass animation's speed: "slow", "normal" or "fast"."""
        value = self.store.value(ANIMATION_SPEED)
        return value if value in ANIMATION_SPEED_NAMES else "normal"

    @animation_speed.setter
    def animation_speed(self, name: str) -> None:
        self.store.setValue(ANIMATION_SPEED, name if name in ANIMATION_SPEED_NAMES else "normal")

    @property
    def tour_shown(self) -> bool:
        return _as_bool(self.store.value(TOUR_SHOWN), False)

    @tour_shown.setter
    def tour_shown(self, shown: bool) -> None:
        self.store.setValue(TOUR_SHOWN, bool(shown))

    # -- recent files --------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        """Most recent first; at most :data:`MAX_RECENT_FILES`, no duplicates."""
        value = self.store.value(RECENT_FILES)
        if isinstance(value, str):
            value = [value] if value else []  # ini files give one entry back as a string
        if not isinstance(value, list | tuple):
            return []
        files: list[str] = []
        for item in value:
            if isinstance(item, str) and item and item not in files:
                files.append(item)
        return files[:MAX_RECENT_FILES]

    def set_recent_files(self, paths: Iterable[str | Path]) -> None:
        files: list[str] = []
        for path in paths:
            text = str(path)
            if text and text not in files:
                files.append(text)
        self.store.setValue(RECENT_FILES, files[:MAX_RECENT_FILES])
        self.sync()

    def add_recent_file(self, path: str | Path) -> list[str]:
        """Put ``path`` (made absolute, as the File menu does) first; returns the list."""
        text = str(Path(path).expanduser().resolve())
        files = [text, *(f for f in self.recent_files() if f != text)]
        self.set_recent_files(files)
        return self.recent_files()

    def remove_recent_file(self, path: str | Path) -> list[str]:
        """Forget ``path`` (a file that has gone); returns the new list."""
        text = str(Path(path).expanduser().resolve())
        self.set_recent_files(f for f in self.recent_files() if f not in (text, str(path)))
        return self.recent_files()

    # -- the window ----------------------------------------------------------------------

    def restore(self, window: Remembered) -> None:
        """Put ``window`` back as it was left: layout, theme, zoom, presentation
        preferences, animation speed; and keep its recent files in this store."""
        window.documents.settings_factory = lambda: self.store
        window.restore_layout(self.store)
        speed = window.action(f"animation_speed_{self.animation_speed}")
        if speed is not None:
            speed.trigger()
        window.appearance.set(self.theme, self.zoom)
        presentation = window.presentation
        presentation.set_preferences(
            self.presentation_theme, self.presentation_zoom, self.key_legend
        )

    def save(self, window: Remembered) -> None:
        """Remember everything :meth:`restore` puts back (the layout as it is outside
        presentation mode)."""
        presentation = window.presentation
        theme, zoom = presentation.normal_appearance()
        self.theme = theme
        self.zoom = zoom
        self.presentation_theme, self.presentation_zoom = presentation.presenting_appearance()
        self.key_legend = presentation.key_legend_wanted()
        self.animation_speed = _animation_speed(window)
        if presentation.is_active():
            presentation.leave()
        window.save_layout(self.store)
        self.sync()

    def attach(self, window: Remembered) -> None:
        """Restore ``window``, then write every change of appearance as it happens (so
        nothing is lost if bpsim is killed), and let the window's "Restore default
        settings" action clear this store (after the window has put itself back)."""
        self.restore(window)
        window.appearance.changed.connect(lambda: self._save_appearance(window))
        window.presentation.preferencesChanged.connect(lambda: self._save_appearance(window))
        for name in ANIMATION_SPEED_NAMES:
            action = window.action(f"animation_speed_{name}")
            if action is not None:
                action.triggered.connect(lambda _=False: self._save_appearance(window))
        restore_defaults = window.action("restore_defaults")
        if restore_defaults is not None:
            restore_defaults.triggered.connect(lambda _=False: self.reset_to_defaults())

    def _save_appearance(self, window: Remembered) -> None:
        presentation = window.presentation
        self.theme, self.zoom = presentation.normal_appearance()
        self.presentation_theme, self.presentation_zoom = presentation.presenting_appearance()
        self.key_legend = presentation.key_legend_wanted()
        self.animation_speed = _animation_speed(window)
        self.sync()

    def reset_to_defaults(self) -> None:
        """Forget every preference (not the recent files)."""
        for key in PREFERENCE_KEYS:
            self.store.remove(key)
        self.sync()


def _animation_speed(window: Host) -> str:
    """The pass animation's speed: the checked one of Teach ▸ Animation speed."""
    for name in ANIMATION_SPEED_NAMES:
        action = window.action(f"animation_speed_{name}")
        if action is not None and action.isChecked():
            return name
    return "normal"

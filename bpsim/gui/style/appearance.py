"""How the window looks: one zoom that scales everything together, and the themes.

A class reads bpsim off a projector: a washed-out picture seen from ten metres. So there
is one zoom (Ctrl+= / Ctrl+- / Ctrl+0) for the whole window, scaling the fonts of every
control, the neurons, labels and line widths of the network, the plot's tick labels,
curves and markers, and the table's text and row height together; and there are three
themes: the light one, a high-contrast light one for projectors (pure white and black,
darker and thicker lines, a stronger grid), and a dark one.

Every theme draws signs with a colour-blind-safe pair (Okabe–Ito blue against orange)
and never by colour alone: negative weights are dashed, gradients are arrows that point
backwards, the validation curve is dashed. :func:`cvd_distance` simulates the three
kinds of colour blindness (Machado et al. 2009) so the tests can check that every pair
that tells two things apart stays apart for everyone.

:class:`Appearance` holds the zoom and the theme and says ``changed``; :func:`install`
gives the window (a :class:`~bpsim.gui.host.Host`) its actions (View ▸ Zoom, View ▸
Theme) and re-styles it on every change. Each panel follows through a small
``apply_appearance(appearance)`` method: any widget in the window that has one is
called, so a new panel takes part by defining it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QMenu,
    QRadioButton,
    QToolBar,
    QToolTip,
    QWidget,
)

from bpsim.gui.style import palette as drawing
from bpsim.teaching.formulas import Colors

if TYPE_CHECKING:
    from bpsim.gui.host import Host

#: The zoom factors Ctrl+= and Ctrl+- step through.
ZOOM_STEPS: tuple[float, ...] = (0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
MIN_ZOOM, MAX_ZOOM = ZOOM_STEPS[0], ZOOM_STEPS[-1]
DEFAULT_THEME = "light"
DEFAULT_PRESENTATION_THEME = "high_contrast"
#: Presentation mode's first zoom: text about 5 cm high on a 3 m wide projection.
DEFAULT_PRESENTATION_ZOOM = 1.5
#: The toolbar icons' size at zoom 1.
ICON_SIZE = 24

Color = str | tuple[int, int, int] | tuple[int, int, int, int]


def qcolor(spec: Color) -> QColor:
    """A QColor from "#rrggbb" or an (r, g, b[, a]) tuple."""
    if isinstance(spec, str):
        return QColor(spec)
    return QColor(*spec)


@dataclass(frozen=True)
class PlotColors:
    """The loss plot's colours and its curves' width at zoom 1."""

    background: Color
    axis: Color
    grid: Color
    train: Color
    validation: Color
    legend_background: Color
    legend_border: Color
    hover_background: Color
    curve_width: float = 2.5


@dataclass(frozen=True)
class Theme:
    """Colours of one theme: the Qt palette for controls, the network editor's scheme
    (names of :mod:`bpsim.gui.style.palette`), the plot, and a few style-sheet rules."""

    name: str
    title: str
    tip: str
    dark: bool
    qt: dict[str, Color]  # QPalette.ColorRole name → colour (active and inactive)
    disabled_text: Color
    editor: dict[str, Color | float]
    plot: PlotColors
    #: Forward, backward and update, as the toolbar icons and the readout draw them.
    phases: dict[str, Color] = field(default_factory=dict)
    style: str = ""
    #: The text colours of formulas and notes (Inspector, quiz, handouts) on ``qt["Base"]``.
    formulas: dict[str, str] = field(default_factory=dict)
    #: Check boxes' and radio buttons' Window colour: Fusion outlines their box in Window
    #: darkened by 40 %, which vanishes on a dark window; they paint no background, so a
    #: light Window here only makes the outline visible. None: the theme's Window.
    indicator_window: Color | None = None

    def indicator_palette(self) -> QPalette:
        """The palette of check boxes and radio buttons (see ``indicator_window``)."""
        result = self.qt_palette()
        if self.indicator_window is not None:
            result.setColor(QPalette.ColorRole.Window, qcolor(self.indicator_window))
        return result

    def formula_colors(self) -> Colors:
        """The colours formulas are drawn in on this theme's text background."""
        return Colors(text=str(self.qt["Text"]), background=str(self.qt["Base"]), **self.formulas)

    def qt_palette(self) -> QPalette:
        result = QPalette()
        for role_name, spec in self.qt.items():
            result.setColor(getattr(QPalette.ColorRole, role_name), qcolor(spec))
        disabled = qcolor(self.disabled_text)
        for role in (
            QPalette.ColorRole.WindowText,
            QPalette.ColorRole.Text,
            QPalette.ColorRole.ButtonText,
        ):
            result.setColor(QPalette.ColorGroup.Disabled, role, disabled)
        return result

    def scheme(self) -> dict[str, QColor | float]:
        """The editor's colours and line widths, for :func:`palette.use_scheme`."""
        return {
            name: value if isinstance(value, int | float) else qcolor(value)
            for name, value in self.editor.items()
        }

    def color(self, name: str) -> QColor:
        """One of the editor's colours (the palette's default when the theme keeps it)."""
        spec = self.editor.get(name)
        if spec is None or isinstance(spec, int | float):
            value = drawing.DEFAULT_SCHEME[name]
            assert isinstance(value, QColor)
            return QColor(value)
        return qcolor(spec)


PHASE_COLORS: dict[str, Color] = {"forward": "#1f6fb4", "backward": "#c4561b", "update": "#2a8a3e"}

LIGHT = Theme(
    name="light",
    title="&Light",
    tip="Light theme: dark text on light grey, for a screen in an ordinary room",
    dark=False,
    qt={
        "Window": "#efefef",
        "WindowText": "#000000",
        "Base": "#ffffff",
        "AlternateBase": "#f7f7f7",
        "ToolTipBase": "#ffffdc",
        "ToolTipText": "#000000",
        "PlaceholderText": "#6b6b6b",
        "Text": "#000000",
        "Button": "#efefef",
        "ButtonText": "#000000",
        "BrightText": "#ffffff",
        "Light": "#ffffff",
        "Midlight": "#cacaca",
        "Mid": "#b8b8b8",
        "Dark": "#9f9f9f",
        "Shadow": "#767676",
        "Highlight": "#1f6bb0",
        "HighlightedText": "#ffffff",
        "Link": "#0000ff",
    },
    disabled_text="#bebebe",
    editor={},  # the palette's own values
    plot=PlotColors(
        background="#ffffff",
        axis="#222222",
        grid="#e4e4e4",
        train="#1f5fbf",
        validation="#e07000",
        legend_background=(255, 255, 255, 220),
        legend_border="#bbbbbb",
        hover_background=(255, 255, 240, 235),
    ),
    phases=PHASE_COLORS,
    formulas={
        "forward": "#1a5f9e",
        "backward": "#a3111a",
        "update": "#23692e",
        "info": "#505050",
        "good": "#1b6b2a",
        "bad": "#a3111a",
    },
)

HIGH_CONTRAST = Theme(
    name="high_contrast",
    title="&High contrast (projector)",
    tip="High-contrast theme for projectors: black on pure white, darker and thicker "
    "lines, a stronger grid; what presentation mode uses unless you choose another",
    dark=False,
    qt={
        "Window": "#ffffff",
        "WindowText": "#000000",
        "Base": "#ffffff",
        "AlternateBase": "#f0f0f0",
        "ToolTipBase": "#ffffff",
        "ToolTipText": "#000000",
        "PlaceholderText": "#555555",
        "Text": "#000000",
        "Button": "#f2f2f2",
        "ButtonText": "#000000",
        "BrightText": "#ffffff",
        "Light": "#ffffff",
        "Midlight": "#dcdcdc",
        "Mid": "#000000",
        "Dark": "#555555",
        "Shadow": "#000000",
        "Highlight": "#003f8a",
        "HighlightedText": "#ffffff",
        "Link": "#0038a8",
    },
    disabled_text="#8a8a8a",
    editor={
        # Darker line colours: a projector lifts every dark colour towards grey.
        "POSITIVE_LINE": "#b35900",
        "NEGATIVE_LINE": "#004c8c",
        "ZERO_LINE": "#707070",
        "GRADIENT": "#b00026",
        "NEUTRAL_FILL": "#e6e6e6",
        "INK": "#000000",
        "MUTED_INK": "#333333",
        "HIGHLIGHT_FILL": (255, 226, 110, 170),
        "HIGHLIGHT_EDGE": "#9a7800",
        "SELECTION": "#5b2a91",
        "LABEL_BACKGROUND": (255, 255, 255, 240),
        "BACKGROUND": "#ffffff",
        # Thin lines vanish first on a projector.
        "MIN_WEIGHT_WIDTH": 1.8,
        "MAX_WEIGHT_WIDTH": 11.0,
        "MIN_GRADIENT_WIDTH": 2.4,
        "MAX_GRADIENT_WIDTH": 6.5,
    },
    plot=PlotColors(
        background="#ffffff",
        axis="#000000",
        grid="#c8c8c8",
        train="#0a4fa8",
        validation="#b35900",
        legend_background=(255, 255, 255, 235),
        legend_border="#000000",
        hover_background=(255, 255, 255, 245),
        curve_width=3.5,
    ),
    phases={"forward": "#0a4fa8", "backward": "#b34700", "update": "#1d6e30"},
    formulas={
        "forward": "#0a4596",
        "backward": "#8f0f17",
        "update": "#155a24",
        "info": "#333333",
        "good": "#155a24",
        "bad": "#8f0f17",
    },
    style="""
QDockWidget::title { border-bottom: 2px solid black; }
QToolBar { border-bottom: 1px solid #000000; }
""",
)

DARK = Theme(
    name="dark",
    title="&Dark",
    tip="Dark theme: light text on a dark background, for a dimmed room or a laptop at night",
    dark=True,
    qt={
        "Window": "#202124",
        "WindowText": "#e8eaed",
        "Base": "#17181b",
        "AlternateBase": "#25272b",
        "ToolTipBase": "#2d2f33",
        "ToolTipText": "#e8eaed",
        "PlaceholderText": "#8a8d91",
        "Text": "#e8eaed",
        "Button": "#2d2f33",
        "ButtonText": "#e8eaed",
        "BrightText": "#ffffff",
        "Light": "#45484d",
        "Midlight": "#34373c",
        "Mid": "#55585d",
        "Dark": "#151618",
        "Shadow": "#000000",
        "Highlight": "#2f6cc0",
        "HighlightedText": "#ffffff",
        "Link": "#8ab4f8",
    },
    disabled_text="#6f7378",
    editor={
        "POSITIVE_LINE": "#e69f00",  # Okabe–Ito orange
        "NEGATIVE_LINE": "#56b4e9",  # Okabe–Ito sky blue
        "ZERO_LINE": "#8a8a8a",
        "GRADIENT": "#ff6b81",
        "NEUTRAL_FILL": "#4a4d52",
        "INK": "#e6e6e6",
        "MUTED_INK": "#b0b0b0",
        "HIGHLIGHT_FILL": (255, 214, 80, 55),
        "HIGHLIGHT_EDGE": "#d6aa00",
        "SELECTION": "#c9a4ff",
        "LABEL_BACKGROUND": (23, 24, 27, 225),
        "BACKGROUND": "#17181b",
    },
    plot=PlotColors(
        background="#17181b",
        axis="#dddddd",
        grid="#3a3c40",
        train="#56b4e9",
        validation="#e69f00",
        legend_background=(40, 42, 46, 225),
        legend_border="#666666",
        hover_background=(40, 42, 46, 240),
        curve_width=2.5,
    ),
    phases={"forward": "#3d8fd6", "backward": "#e0772e", "update": "#3fa45a"},
    style="",
    formulas={
        "forward": "#8cc4ff",
        "backward": "#ff9c8f",
        "update": "#86d99b",
        "info": "#b9bdc3",
        "good": "#86d99b",
        "bad": "#ff9c8f",
    },
    indicator_window="#e8eaed",
)

THEMES: dict[str, Theme] = {theme.name: theme for theme in (LIGHT, HIGH_CONTRAST, DARK)}
THEME_KEYS: dict[str, str] = {
    "light": "Ctrl+Shift+L",
    "high_contrast": "Ctrl+Shift+H",
    "dark": "Ctrl+Shift+D",
}
#: Keys for the View menu's panel and toolbar switches (the main window makes them).
VIEW_KEYS: dict[str, str] = {
    "show_network_editor": "Ctrl+1",
    "show_loss_plot": "Ctrl+2",
    "show_parameter_table": "Ctrl+3",
    "show_training_toolbar": "Ctrl+Shift+T",
    "show_settings_toolbar": "Ctrl+Shift+G",
    "reset_layout": "Ctrl+Shift+R",
}
#: Menu texts with a mnemonic for the toolbar switches (their default is the bare title).
VIEW_TEXTS: dict[str, str] = {
    "show_training_toolbar": "&Training toolbar",
    "show_settings_toolbar": "Settin&gs toolbar",
}


def nearest_zoom(value: float) -> float:
    """``value`` clamped to the zoom range (any value in it is allowed; the keys step)."""
    if not math.isfinite(value):
        return 1.0
    return min(max(float(value), MIN_ZOOM), MAX_ZOOM)


class Appearance(QObject):
    """The window's zoom and theme; ``changed`` after any change."""

    changed = Signal()

    def __init__(
        self, parent: QObject | None = None, theme: str = DEFAULT_THEME, zoom: float = 1.0
    ) -> None:
        super().__init__(parent)
        if theme not in THEMES:
            raise ValueError(f"unknown theme '{theme}'; expected one of {', '.join(THEMES)}")
        self._theme = THEMES[theme]
        self._zoom = nearest_zoom(zoom)

    @property
    def theme(self) -> Theme:
        return self._theme

    @property
    def zoom(self) -> float:
        return self._zoom

    def set_theme(self, name: str) -> None:
        """Switch to the theme called ``name`` (ValueError naming the choices if none is)."""
        if name not in THEMES:
            raise ValueError(f"unknown theme '{name}'; expected one of {', '.join(THEMES)}")
        if THEMES[name] is self._theme:
            return
        self._theme = THEMES[name]
        self.changed.emit()

    def set_zoom(self, zoom: float) -> None:
        zoom = nearest_zoom(zoom)
        if math.isclose(zoom, self._zoom):
            return
        self._zoom = zoom
        self.changed.emit()

    def set(self, theme: str, zoom: float) -> None:
        """Theme and zoom at once: one ``changed``, one re-layout."""
        if theme not in THEMES:
            raise ValueError(f"unknown theme '{theme}'; expected one of {', '.join(THEMES)}")
        zoom = nearest_zoom(zoom)
        if THEMES[theme] is self._theme and math.isclose(zoom, self._zoom):
            return
        self._theme, self._zoom = THEMES[theme], zoom
        self.changed.emit()

    def zoom_in(self) -> None:
        """The next larger step of :data:`ZOOM_STEPS`."""
        larger = [z for z in ZOOM_STEPS if z > self._zoom + 1e-9]
        if larger:
            self.set_zoom(larger[0])

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOM_STEPS if z < self._zoom - 1e-9]
        if smaller:
            self.set_zoom(smaller[-1])

    def reset_zoom(self) -> None:
        self.set_zoom(1.0)

    def points(self, base: float) -> float:
        """A font size of ``base`` points at this zoom."""
        return base * self._zoom


# -- colour checks (used by the tests; pure maths on sRGB) ------------------------------

#: Machado, Oliveira & Fernandes (2009), severity 1: linear-RGB matrices.
CVD_MATRICES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def _rgb(color: QColor) -> tuple[float, float, float]:
    return (_linear(color.redF()), _linear(color.greenF()), _linear(color.blueF()))


def _lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))


def simulate(color: QColor, kind: str) -> tuple[float, float, float]:
    """Linear RGB of ``color`` as seen with ``kind`` ("normal" or a key of
    :data:`CVD_MATRICES`)."""
    rgb = _rgb(color)
    if kind == "normal":
        return rgb
    m = CVD_MATRICES[kind]
    return tuple(sum(m[i][j] * rgb[j] for j in range(3)) for i in range(3))  # type: ignore[return-value]


def cvd_distance(a: QColor, b: QColor) -> float:
    """The smallest CIELAB ΔE between ``a`` and ``b`` for normal vision and the three
    colour blindnesses: above about 20 two colours are told apart at a glance."""
    kinds = ("normal", *CVD_MATRICES)
    return min(math.dist(_lab(simulate(a, k)), _lab(simulate(b, k))) for k in kinds)


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two opaque colours (1 to 21): 4.5 for text, 3 for lines."""

    def luminance(c: QColor) -> float:
        r, g, bl = _rgb(c)
        return 0.2126 * r + 0.7152 * g + 0.0722 * bl

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# -- the window ----------------------------------------------------------------------


def view_menu(window: QWidget) -> QMenu | None:
    """The window's View menu (for code not yet given a host: ``host.menu("view")``)."""
    return window.findChild(QMenu, "view_menu")


def make_action(
    parent: QWidget,
    name: str,
    text: str,
    tip: str,
    keys: list[str | QKeySequence.StandardKey] | str | None,
    slot: Callable[[], object] | None = None,
    checkable: bool = False,
) -> QAction:
    """A QAction with an object name, keys, a tooltip naming its key, and a status tip."""
    action = QAction(text, parent)
    action.setObjectName(name)
    if isinstance(keys, str):
        keys = [keys]
    sequences: list[QKeySequence] = []
    for key in keys or []:
        found = (
            QKeySequence.keyBindings(key)
            if isinstance(key, QKeySequence.StandardKey)
            else [QKeySequence(key)]
        )
        # the same key twice on one action makes Qt call it ambiguous and do nothing
        sequences += [k for k in found if not k.isEmpty() and k not in sequences]
    if sequences:
        action.setShortcuts(sequences)
    set_tips(action, tip)
    action.setCheckable(checkable)
    if slot is not None:
        action.triggered.connect(lambda _=False: slot())
    return action


def set_tips(action: QAction, tip: str) -> None:
    """Tooltip (with the key, which Qt does not show) and status tip of ``action``."""
    key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{tip} ({key})" if key else tip)
    action.setStatusTip(tip)


class WindowAppearance(QObject):
    """Applies an :class:`Appearance` to a main window and owns its View-menu actions."""

    def __init__(
        self, host: Host, appearance: Appearance, relayout: Callable[[], object] | None = None
    ) -> None:
        window = host.main_window()
        super().__init__(window)
        self.host = host
        self.window = window
        #: Called after every re-styling: the window measures its toolbars again.
        self.relayout = relayout
        self.appearance = appearance
        app = QApplication.instance()
        base = QFont(app.font()) if isinstance(app, QApplication) else QFont(window.font())
        self.base_font = base
        self.base_style = window.styleSheet()
        self._styled_theme = THEMES[DEFAULT_THEME]
        self.actions: dict[str, QAction] = {}
        self._make_actions()
        appearance.changed.connect(self.apply)
        self.apply()

    def _make_actions(self) -> None:
        w, a = self.window, self.appearance
        zoom_tip = "everything together: text, neurons, lines, the plot and the table"
        self.actions["zoom_in"] = make_action(
            w,
            "zoom_in",
            "Zoom &in",
            f"Zoom in: larger {zoom_tip}",
            ["Ctrl+=", QKeySequence.StandardKey.ZoomIn],
            self.zoom_in,
        )
        self.actions["zoom_out"] = make_action(
            w,
            "zoom_out",
            "Zoom &out",
            f"Zoom out: smaller {zoom_tip}",
            ["Ctrl+-", QKeySequence.StandardKey.ZoomOut],
            a.zoom_out,
        )
        self.actions["zoom_reset"] = make_action(
            w, "zoom_reset", "&Actual size", "Zoom back to 100 %", "Ctrl+0", a.reset_zoom
        )
        group = QActionGroup(self)
        group.setExclusive(True)
        for name, theme in THEMES.items():
            action = make_action(
                w,
                f"theme_{name}",
                theme.title,
                theme.tip,
                THEME_KEYS[name],
                partial(a.set_theme, name),
                checkable=True,
            )
            group.addAction(action)
            self.actions[f"theme_{name}"] = action
        self.host.add_actions(self.actions)  # keys work with the menu bar hidden

        for name, key in VIEW_KEYS.items():
            toggle = w.findChild(QAction, name)
            if toggle is not None and toggle.shortcut().isEmpty():
                tip = toggle.statusTip() or toggle.toolTip()
                toggle.setShortcut(QKeySequence(key))
                set_tips(toggle, tip)
                if name in VIEW_TEXTS:
                    toggle.setText(VIEW_TEXTS[name])
                if toggle not in w.actions():
                    w.addAction(toggle)

        themes = QMenu("&Theme", self.host.menu("view"))
        themes.setObjectName("theme_menu")
        for name in THEMES:
            themes.addAction(self.actions[f"theme_{name}"])
        self.theme_menu = themes
        zoom = [self.actions[name] for name in ("zoom_in", "zoom_out", "zoom_reset")]
        self.host.add_to_menu("view", "zoom", *zoom, themes)

    def zoom_in(self) -> None:
        """One step larger, unless the window would then be wider than its screen (a
        projector of 1024 pixels cannot show everything at 300 %)."""
        before = self.appearance.zoom
        self.appearance.zoom_in()
        if self.appearance.zoom != before and not self.fits_screen():
            self.appearance.set_zoom(before)
            self.host.show_status(f"Larger text would not fit this screen; staying at {before:.0%}")

    def fits_screen(self) -> bool:
        """Whether the window's smallest width fits its screen (or its present width,
        which is larger offscreen)."""
        screen = self.window.screen()
        room = screen.availableGeometry().width() if screen is not None else 0
        room = max(room, self.window.width())
        return self.window.minimumSizeHint().width() <= room

    def style_new(self, widget: QWidget) -> None:
        """Style a panel built after the window was (a dock's panel built when first shown)."""
        hook = getattr(widget, "apply_appearance", None)
        if callable(hook):
            hook(self.appearance)

    def font(self) -> QFont:
        font = QFont(self.base_font)
        size = self.base_font.pointSizeF()
        if size > 0:
            font.setPointSizeF(self.appearance.points(size))
        else:
            font.setPixelSize(max(1, round(self.base_font.pixelSize() * self.appearance.zoom)))
        return font

    def _set_palettes(self, qt_palette: QPalette) -> None:
        """The theme's palette on the window and on every widget inside showing a theme's
        (or the application's) palette: a style sheet stops a palette from spreading, as
        it does fonts. Widgets with colours of their own keep them."""
        window = self.window
        managed = [QApplication.palette(), *(t.qt_palette() for t in THEMES.values())]
        managed += [t.indicator_palette() for t in THEMES.values()]
        indicator = self.appearance.theme.indicator_palette()
        window.setPalette(qt_palette)
        for widget in window.findChildren(QWidget):
            if widget.isWindow():
                continue
            own = widget.testAttribute(Qt.WidgetAttribute.WA_SetPalette)
            if not own or widget.palette() in managed:
                check = isinstance(widget, QCheckBox | QRadioButton)
                widget.setPalette(indicator if check else qt_palette)

    def _set_fonts(self, font: QFont) -> None:
        """The window's font at the new size, on every widget that had the old one.

        A style sheet on a window stops a font set on it from reaching the widgets
        inside, so each widget showing the window's font is given the new one; widgets
        with a font of their own size (the readouts, the table) follow through their
        ``apply_appearance`` instead."""
        window = self.window
        old = window.font().pointSizeF()
        new = font.pointSizeF()
        window.setFont(font)
        if old <= 0 or new <= 0 or math.isclose(old, new):
            return
        for widget in window.findChildren(QWidget):
            current = widget.font()
            if widget.isWindow() or not math.isclose(current.pointSizeF(), old):
                continue
            changed = QFont(current)
            changed.setPointSizeF(new)
            widget.setFont(changed)

    def apply(self) -> None:
        """Re-style the whole window for the current theme and zoom."""
        window, appearance = self.window, self.appearance
        theme, zoom = appearance.theme, appearance.zoom
        scheme = theme.scheme()
        scheme["LINE_SCALE"] = zoom
        drawing.use_scheme(scheme)
        qt_palette = theme.qt_palette()
        font = self.font()
        self._set_palettes(qt_palette)
        style = self.base_style + _concrete_style(theme) + theme.style
        if window.styleSheet() != style or theme is not self._styled_theme:
            # again: palette(…) in it is read only now; polishing puts back the
            # palettes the widgets had, so they are given the theme's once more
            window.setStyleSheet(style)
            self._styled_theme = theme
            self._set_palettes(qt_palette)
        self._set_fonts(font)
        for menu in window.findChildren(QMenu):  # menus are windows: nothing propagates
            menu.setPalette(qt_palette)
            menu.setFont(font)
        QToolTip.setPalette(qt_palette)
        QToolTip.setFont(font)
        icon = round(ICON_SIZE * zoom)
        for bar in window.findChildren(QToolBar):
            bar.setIconSize(QSize(icon, icon))
        for name in THEMES:
            action = self.actions[f"theme_{name}"]
            action.setChecked(theme.name == name)
        for widget in window.findChildren(QWidget):
            hook = getattr(widget, "apply_appearance", None)
            if callable(hook):
                hook(appearance)
        if self.relayout is not None:
            self.relayout()


def _concrete_style(theme: Theme) -> str:
    """The window's style-sheet rules with the theme's colours written out: a style sheet
    reads palette(…) once, when a widget is first styled, not after a theme change."""
    q = theme.qt
    return (
        # a floating dock is a window of its own: it paints this background itself
        f"QDockWidget {{ color: {q['WindowText']}; background: {q['Window']}; }}\n"
        f"QDockWidget::title {{ background: {q['Midlight']};"
        f" border-bottom: 1px solid {q['Mid']}; }}\n"
    )


def install(host: Host, relayout: Callable[[], object] | None = None) -> WindowAppearance:
    """Give the window an :class:`Appearance` (light, 100 %), its View-menu actions, and
    keep it styled, calling ``relayout`` after each re-styling; returns what styles it
    (``.appearance`` is the zoom and theme)."""
    return WindowAppearance(host, Appearance(host.main_window()), relayout)

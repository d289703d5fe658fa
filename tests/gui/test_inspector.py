"""The inspector: the chain rule with the numbers of seed 000's worked example.

The default example is the 2-2-2 sigmoid network of seed 000. After one forward and one
backward pass, ∂E/∂w5 = ∂E/∂out_y1 · ∂out_y1/∂net_y1 · ∂net_y1/∂w5 = 0.58371 × 0.232122 ×
0.538424 = 0.072952, and ∂E/∂w1 sums the paths through y1 and y2. Every number the
inspector shows must be the engine's own (compared with ``trainer.trace`` exactly).
"""

from __future__ import annotations

import pytest
from gui_helpers import open_window, step
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from bpsim.gui import MainWindow
from bpsim.gui.panels.inspector.panel import Inspector, rich
from bpsim.gui.state.session import ParameterKey
from bpsim.text import fmt

TIMEOUT = 5000
W5 = ParameterKey(1, 0, 0)
W1 = ParameterKey(0, 0, 0)


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    return open_window(qtbot, animate=False, size=(1600, 1000))


def inspector_of(window: MainWindow) -> Inspector:
    inspector = window.findChild(Inspector, "inspector")
    assert inspector is not None
    return inspector


def click_link(qtbot: QtBot, window: MainWindow, key: ParameterKey) -> None:
    """Click a link in the network editor, as a student does."""
    editor = window.panels["network_editor"]
    link = editor.link_item(key.k, key.j, key.i)
    assert link is not None
    for fraction in (0.25, 0.75, 0.4, 0.6):
        pos = editor.mapFromScene(link.point_at(fraction))
        if editor.key_at(pos) == key:
            break
    else:
        pytest.fail(f"no free spot to click on {key}")
    with qtbot.waitSignal(editor.selectionChangedTo, timeout=TIMEOUT):
        qtbot.mouseClick(editor.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_clicking_w5_shows_the_seed_chain_rule_with_the_engines_numbers(
    qtbot: QtBot, window: MainWindow
) -> None:
    step(qtbot, window, "forward")
    step(qtbot, window, "backward")
    click_link(qtbot, window, W5)
    inspector = inspector_of(window)
    assert inspector.selected_key() == W5

    trace = window.session.trainer.trace
    gradient = inspector.content().formula("gradient")
    assert gradient is not None
    # the factors are the engine's own numbers, not recomputed ones
    assert gradient.factors == (
        float(trace.grad_a[2][0, 0]),
        float(trace.fprime[2][0, 0]),
        float(trace.a[1][0, 0]),
    )
    assert gradient.value == float(trace.weight_grads[1][0, 0])
    assert [round(f, 6) for f in gradient.factors] == [0.58371, 0.232122, 0.538424]
    assert round(gradient.value, 6) == 0.072952

    written = inspector.content().plain_text()
    assert (
        "∂E/∂w5 = ∂E/∂out_y1 · ∂out_y1/∂net_y1 · ∂net_y1/∂w5 = 0.58371 × 0.232122 × 0.538424"
        " = 0.072952" in written
    )
    text = inspector.plain_text()  # what the rich-text view shows
    assert "∂E/∂outy1 · ∂outy1/∂nety1 · ∂nety1/∂w5" in text  # subscripts lose their "_"
    assert "0.58371 × 0.232122 × 0.538424" in text
    assert "0.072952" in text
    # each factor is explained: the loss's derivative, σ′, and the input h1 carries
    assert "−(0.05 − 0.63371)" in text
    assert "0.63371 × (1 − 0.63371)" in text
    # the next update with its numbers (plain gradient descent, η = 0.01)
    update = inspector.content().formula("update")
    assert update is not None and update.relation == "←"
    assert update.rhs == ["w5 − η·∂E/∂w5", "0.18 − 0.01 × 0.072952"]
    assert "0.18 − 0.01 × 0.072952" in text


def test_a_hidden_weight_sums_the_paths_through_y1_and_y2(qtbot: QtBot, window: MainWindow) -> None:
    step(qtbot, window, "forward")
    step(qtbot, window, "backward")
    click_link(qtbot, window, W1)
    trainer = window.session.trainer
    trace, net = trainer.trace, trainer.network
    gradient = inspector_of(window).content().formula("gradient")
    assert gradient is not None
    assert gradient.value == float(trace.weight_grads[0][0, 0])
    assert round(gradient.value, 7) == 0.0047464
    symbolic, paths, summed = gradient.rhs
    # seed 000: (∂E/∂out_y1·∂out_y1/∂net_y1·∂net_y1/∂out_h1 + … y2 …)
    #           · ∂out_h1/∂net_h1 · ∂net_h1/∂w1
    assert symbolic.startswith(
        "(∂E/∂out_y1·∂out_y1/∂net_y1·∂net_y1/∂out_h1 + ∂E/∂out_y2·∂out_y2/∂net_y2·∂net_y2/∂out_h1)"
    )
    assert symbolic.endswith("∂out_h1/∂net_h1 · ∂net_h1/∂w1")
    g, f, w = trace.grad_a[2][0], trace.fprime[2][0], net.weights[1]
    y1 = f"{fmt(g[0])} × {fmt(f[0])} × {fmt(w[0, 0])}"
    y2 = f"({fmt(g[1])}) × {fmt(f[1])} × {fmt(w[1, 0])}"
    assert paths.startswith(f"({y1} + {y2})")
    assert y1 == "0.58371 × 0.232122 × 0.18"
    assert gradient.factors == (
        float(trace.grad_a[1][0, 0]),
        float(trace.fprime[1][0, 0]),
        float(trace.a[0][0, 0]),
    )
    assert summed == f"{fmt(trace.grad_a[1][0, 0])} × 0.248524 × 0.95"
    # the sum over the paths is the engine's ∂E/∂out_h1
    paths_formula = inspector_of(window).content().formula("grad_out")
    assert paths_formula is not None and paths_formula.value == float(trace.grad_a[1][0, 0])


def test_a_neuron_shows_its_sum_activation_derivative_and_delta(
    qtbot: QtBot, window: MainWindow
) -> None:
    inspector = inspector_of(window)
    editor = window.panels["network_editor"]
    h1 = editor.neuron_item(1, 0)
    with qtbot.waitSignal(editor.selectionChangedTo, timeout=TIMEOUT):
        qtbot.mouseClick(
            editor.viewport(), Qt.MouseButton.LeftButton, pos=editor.mapFromScene(h1.pos())
        )
    assert inspector.selected_key() == ("neuron", 1, 0)
    assert inspector.content().formula("net") is None  # nothing computed yet
    assert "appear when the forward pass reaches layer 1" in inspector.plain_text()

    step(qtbot, window, "forward")
    trace = window.session.trainer.trace
    content = inspector.content()
    net = content.formula("net")
    assert net is not None and net.value == float(trace.z[1][0, 0]) == 0.154
    assert net.rhs == ["w1·x1 + w2·x2 + b1", "0.1 × 0.95 + 0.15 × 0.06 + 0.05"]
    out = content.formula("out")
    assert out is not None and out.value == float(trace.a[1][0, 0])
    fprime = content.formula("fprime")
    assert fprime is not None and fprime.value == float(trace.fprime[1][0, 0])
    assert content.formula("delta") is None

    step(qtbot, window, "backward")
    delta = inspector.content().formula("delta")
    assert delta is not None and delta.value == float(trace.delta[1][0, 0])
    assert delta.factors == (float(trace.grad_a[1][0, 0]), float(trace.fprime[1][0, 0]))
    assert "0.538424" in inspector.plain_text()


def test_after_the_update_it_shows_the_update_just_made(qtbot: QtBot, window: MainWindow) -> None:
    window.panels["network_editor"].select_key(W5)
    for name in ("forward", "backward", "update"):
        step(qtbot, window, name)
    update = inspector_of(window).content().formula("update")
    assert update is not None
    assert update.value == float(window.session.trainer.network.weights[1][0, 0])
    assert update.rhs[1] == "0.18 − 0.01 × 0.072952"
    assert "0.17927" in inspector_of(window).plain_text()


def test_adam_shows_its_own_update_with_its_state(qtbot: QtBot, window: MainWindow) -> None:
    window.controller.set_optimizer("adam")
    window.panels["network_editor"].select_key(W5)
    step(qtbot, window, "step")  # some state to show
    step(qtbot, window, "forward")
    step(qtbot, window, "backward")
    inspector = inspector_of(window)
    symbols = [f.lhs for f in inspector.content().sections[-1].formulas]
    assert symbols[:2] == ["m", "v"]
    upcoming = inspector.content().formula("update")
    assert upcoming is not None
    step(qtbot, window, "update")
    done = inspector.content().formula("update")
    assert done is not None
    # what the inspector said the update would give is what Adam gave, bit for bit
    assert upcoming.value == done.value == float(window.session.trainer.network.weights[1][0, 0])
    assert "β₁·m + (1 − β₁)·∂E/∂w5" in inspector.plain_text()


def test_stepping_layer_by_layer_follows_the_active_layer(qtbot: QtBot, window: MainWindow) -> None:
    inspector = inspector_of(window)
    step(qtbot, window, "forward_layer")
    assert inspector.shown_layer() == 1
    assert inspector.content().title.startswith("Layer 1")
    out = inspector.content().formula("out")
    assert out is not None and out.value == float(window.session.trainer.trace.a[1][0, 0])
    step(qtbot, window, "forward_layer")
    assert inspector.shown_layer() == 2
    step(qtbot, window, "backward_layer")
    assert inspector.shown_layer() == 2
    assert inspector.content().formula("delta").value == float(
        window.session.trainer.trace.delta[2][0, 0]
    )
    step(qtbot, window, "backward_layer")
    assert inspector.shown_layer() == 1
    # switching "Follow the pass" off goes back to the selection
    inspector.follow.setChecked(False)
    assert inspector.shown_layer() is None
    step(qtbot, window, "forward_layer")
    assert inspector.shown_layer() is None


def test_the_table_row_and_the_formulas_read_well(qtbot: QtBot, window: MainWindow) -> None:
    step(qtbot, window, "forward")
    step(qtbot, window, "backward")
    table = window.panels["parameter_table"]
    table.select_parameter(W5)  # a row of the table selects too
    inspector = inspector_of(window)
    assert inspector.selected_key() == W5
    html = inspector.browser.toHtml()
    assert "w<sub>5</sub>" in rich("∂E/∂w5")
    assert "out<sub>y1</sub>" in rich("∂E/∂out_y1")
    assert "vertical-align:sub" in html or "<sub>" in html  # real subscripts, not code
    assert "η" in inspector.plain_text() and "∂" in inspector.plain_text()

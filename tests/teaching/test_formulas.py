"""One formulas model for the Inspector, the quiz, `bpsim explain` and the handouts: its
numbers are the engine's (seed 000's w5: 0.58371 × 0.232122 × 0.538424 = 0.072952), and
its typesetting never leaves raw markup (``e^−(0.154)``, ``*asterisks*``) in the text."""

from __future__ import annotations

import html
import math
import re
import subprocess
import sys

import pytest

from bpsim.core.trainer import Trainer
from bpsim.lessons.files import open_lesson
from bpsim.teaching import formulas
from bpsim.teaching.explain_update import explain_update
from bpsim.teaching.worked_example import (
    HTML_COLORS,
    is_large,
    run_explained_step,
    to_html,
    to_markdown,
)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(color: str) -> float:
        channels = [int(color[n : n + 2], 16) / 255 for n in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def seed000() -> Trainer:
    return open_lesson("worked-example")


def test_chain_rule_of_w5_is_the_seeds_product_with_the_engines_numbers() -> None:
    trainer = seed000()
    assert formulas.chain_rule(trainer, 1, 0, 0) is None  # nothing computed yet
    trainer.forward()
    assert formulas.chain_rule(trainer, 1, 0, 0) is None  # the backward pass is still to come
    trainer.backward()
    rule = formulas.chain_rule(trainer, 1, 0, 0)
    assert rule is not None and rule.weight == "w5"
    assert [name for name, _ in rule.factors] == [
        "∂E/∂out_y1",
        "∂out_y1/∂net_y1",
        "∂net_y1/∂w5",
    ]
    values = [value for _, value in rule.factors]
    assert [round(v, 6) for v in values] == [0.58371, 0.232122, 0.538424]
    trace = trainer.trace
    assert trace is not None
    assert rule.result == float(trace.weight_grads[1][0, 0])
    assert round(rule.result, 6) == 0.072952
    assert math.prod(values) == pytest.approx(rule.result, rel=1e-12)
    assert rule.text() == "∂E/∂w5 = 0.58371 × 0.232122 × 0.538424 = 0.072952"


def test_a_hidden_weights_chain_rule_multiplies_to_its_gradient() -> None:
    trainer = seed000()
    trainer.forward()
    trainer.backward()
    rule = formulas.chain_rule(trainer, 0, 0, 0)  # w1: x1 → h1
    assert rule is not None and rule.weight == "w1"
    trace = trainer.trace
    assert trace is not None
    # ∂E/∂out_h1 sums the paths through y1 and y2
    paths = sum(float(trace.delta[2][0, m] * trainer.network.weights[1][m, 0]) for m in (0, 1))
    assert rule.factors[0] == ("∂E/∂out_h1", pytest.approx(paths, rel=1e-12))
    assert [round(v, 6) for _, v in rule.factors[1:]] == [0.248524, 0.95]
    assert math.prod(v for _, v in rule.factors) == pytest.approx(rule.result, rel=1e-12)
    assert round(rule.result, 7) == 0.0047464


def test_softmax_with_cross_entropy_is_the_delta_times_the_input() -> None:
    trainer = open_lesson("digits")
    trainer.forward()
    trainer.backward()
    rule = formulas.chain_rule(trainer, 2, 3, 1)
    assert rule is not None
    assert [name.split("/")[0] for name, _ in rule.factors] == ["∂E", "∂net_3"]
    trace = trainer.trace
    assert trace is not None
    assert rule.factors[0][1] == float(trace.delta[3][0, 3])
    assert rule.result == float(trace.weight_grads[2][3, 1])  # the batch mean
    assert "the mean over 32 samples" in rule.text()


def test_formula_text_is_typeset_without_raw_markup() -> None:
    assert formulas.plain("1 / (1 + e^{−0.154})") == "1 / (1 + exp(−0.154))"
    assert formulas.plain("1 − out_h1^{2}") == "1 − out_h1²"
    assert formulas.plain("√(1 − 0.999^{3})") == "√(1 − 0.999³)"
    assert formulas.rich("e^{−net_h1}") == "e<sup>−net<sub>h1</sub></sup>"
    assert formulas.rich("∂E/∂w5 < 1") == "∂E/∂w<sub>5</sub> &lt; 1"
    sigmoid = formulas.activation_formula("sigmoid", "net_y1")
    assert sigmoid == "σ(net_y1) = " + formulas.frac("1", "1 + e^{−net_y1}")
    assert formulas.plain(sigmoid) == "σ(net_y1) = 1 / (1 + exp(−net_y1))"
    assert formulas.plain(formulas.LOSS_FORMULAS["mse"]) == "E = (1/K) Σₖ (tₖ − outₖ)²"
    # stacked: a table of runs and a two-row fraction with a rule between its rows
    stacked = formulas.rich_block(sigmoid, rule="#123456")
    assert stacked.startswith("<table") and "border-top:1px solid #123456" in stacked
    assert re.search(r">1</td></tr><tr><td[^>]*>1 \+ e<sup>−net<sub>y1</sub></sup>", stacked)
    assert formulas.rich(sigmoid) == "σ(net<sub>y1</sub>) = 1 / (1 + e<sup>−net<sub>y1</sub></sup>)"


def visible_text(page: str) -> str:
    body = page.split("<body>", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def test_the_worked_example_page_uses_sub_and_sup_and_never_raw_markup() -> None:
    example = run_explained_step(seed000())
    page = to_html(example)
    text = visible_text(page)
    assert "^" not in text and "*" not in text and "_{" not in text
    assert "out<sub>h1</sub> = σ(net<sub>h1</sub>) =&nbsp;" in page
    # 1 over 1 + e^−0.154, stacked, then the value
    assert re.search(
        r">1</td></tr><tr><td[^>]*border-top[^>]*>1 \+ e<sup>−0.154</sup></td></tr></table>"
        r"</td><td[^>]*>&nbsp;= <strong>0.538424</strong>",
        page,
    )
    assert "<em>Forward</em>" in page  # the lesson's own *emphasis*
    assert "0.58371 × 0.232122 × 0.538424 = <strong>0.072952</strong>" in page
    markdown = to_markdown(example)
    assert "^" not in markdown and "exp(−0.154)" in markdown and "0.63371)²" in markdown


def test_a_large_network_is_summarised_per_layer() -> None:
    small = run_explained_step(seed000())
    assert not is_large(small.network)
    example = run_explained_step(open_lesson("digits"))
    assert is_large(example.network)
    text = to_markdown(example)
    assert "The other 19 neurons work the same way" in text
    assert "… and 1279 more weights into layer 1" in text
    assert text.count("\n| ") < 40  # the update table: a few rows per layer, not 1,830
    assert len(text) < 12_000


def test_every_text_colour_of_formulas_and_pages_passes_wcag_aa() -> None:
    for name, (fg, bg) in formulas.LIGHT.pairs().items():
        assert contrast(fg, bg) >= 4.5, name
    for name, color in HTML_COLORS.items():
        if name != "rule":  # the table's lines, not text
            assert contrast(color, "#ffffff") >= 4.5, name
    page = to_html(run_explained_step(seed000()))
    for color in set(re.findall(r"color:\s*(#[0-9a-fA-F]{6})", page)):
        assert contrast(color, "#ffffff") >= 4.5, color


def test_an_adam_update_is_typeset_with_fractions_and_real_exponents() -> None:
    explanation = explain_update(
        "adam",
        {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
        "w5",
        0.18,
        0.072952,
        {"exp_avg": 0.0072952, "exp_avg_sq": 5.32e-6},
        3,
    )
    lines = {line.symbol: line for line in explanation.lines}
    step = lines["Δw5"]
    assert formulas.has_fraction(step.formula) and formulas.has_fraction(step.numbers)
    shown = formulas.rich_block(step.numbers)
    assert "0.9<sup>3</sup>" in shown and "^" not in shown
    assert formulas.plain(lines["d"].numbers).startswith("√")
    assert "0.999³" in formulas.plain(lines["d"].numbers)
    assert formulas.rich("Δw5 = ∂E/∂w5²") == "Δw<sub>5</sub> = ∂E/∂w<sub>5</sub>²"


def test_the_formulas_model_needs_no_qt() -> None:
    """The Inspector, quiz and handouts render it; `bpsim explain` runs it without Qt."""
    code = (
        "import sys, bpsim.teaching.formulas, bpsim.teaching.worked_example; "
        "print(any(name.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6') "
        "for name in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

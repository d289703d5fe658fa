"""The fit view's arithmetic: the map back to the file's units and the model's line in
them, checked against the seed's houses and by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bpsim.datasets import load_builtin
from bpsim.datasets.csvfile import load_csv
from bpsim.datasets.regression import HOUSE_PRICES, HOUSE_SIZES
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file
from bpsim.teaching.decision_map import decision_map
from bpsim.teaching.fit import Units, fit_curve, original_units, residuals


def test_house_prices_map_back_to_square_feet_and_dollars() -> None:
    dataset = load_builtin("house_prices")  # min-max scaled by default
    units = original_units(dataset)
    assert units is not None
    np.testing.assert_allclose(units.inputs(dataset.inputs)[:, 0], HOUSE_SIZES)
    np.testing.assert_allclose(units.targets(dataset.targets)[:, 0], HOUSE_PRICES)
    assert units.input_offset[0] == pytest.approx(1100.0)
    assert units.input_scale[0] == pytest.approx(2450.0 - 1100.0)


def test_unscaled_data_have_no_other_units() -> None:
    assert original_units(load_builtin("house_prices", {"standardize": False})) is None
    assert original_units(load_builtin("sine")) is None


def test_a_standardised_csv_maps_back_to_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "cars.csv"
    path.write_text("mass,speed\n900,150\n1200,170\n1500,185\n2100,160\n", encoding="utf-8")
    dataset = load_csv(path, ["mass"], ["speed"], standardize=True)
    assert abs(dataset.inputs.mean()) < 1e-12  # stored standardised
    units = original_units(dataset)
    assert units is not None
    np.testing.assert_allclose(units.inputs(dataset.inputs)[:, 0], [900, 1200, 1500, 2100])
    np.testing.assert_allclose(units.targets(dataset.targets)[:, 0], [150, 170, 185, 160])
    # a relative path is read from the lesson's folder
    dataset.source = dict(dataset.source, csv="cars.csv")
    assert original_units(dataset, tmp_path) is not None
    assert original_units(dataset, tmp_path / "elsewhere") is None  # moved: stored units


def test_the_line_is_a_plus_b_x_in_dollars() -> None:
    trainer = trainer_from_lesson_file(find_example("house-prices").path)
    units = original_units(trainer.lesson.dataset)
    assert units is not None
    x, y = fit_curve(trainer.network, units, (1100.0, 2450.0), points=3)
    np.testing.assert_allclose(x, [1100.0, 1775.0, 2450.0])
    # a = 0.45, b = 0.75 on the scaled axes: 0.45, 0.825, 1.2 of the price span
    np.testing.assert_allclose(y, 199000.0 + 206000.0 * np.array([0.45, 0.825, 1.2]))
    predicted, target = residuals(trainer.network, units, trainer.inputs, trainer.targets)
    np.testing.assert_allclose(target, HOUSE_PRICES)
    np.testing.assert_allclose(
        predicted, 199000.0 + 206000.0 * (0.45 + 0.75 * trainer.inputs[:, 0])
    )


def test_fit_curve_needs_one_input() -> None:
    trainer = trainer_from_lesson_file(find_example("xor").path)
    with pytest.raises(ValueError, match="1 input"):
        fit_curve(trainer.network, Units.identity(2, 1), (0.0, 1.0))


def test_the_class_maps_margin_is_the_winners_lead() -> None:
    trainer = trainer_from_lesson_file(find_example("and").path)
    dmap = decision_map(trainer.network, (0.0, 1.0), (0.0, 1.0), 5)
    assert dmap.margin is not None
    points = np.array([[x, y] for y in dmap.ys for x in dmap.xs])
    outputs = trainer.network.outputs(points)[1]
    lead = np.abs(outputs[:, 0] - outputs[:, 1]).reshape(5, 5)  # two outputs: |o1 − o2|
    np.testing.assert_allclose(dmap.margin, lead)

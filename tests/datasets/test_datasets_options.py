"""Every option of every built-in is checked, and refused with its own name as the place,
before anything is generated."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from bpsim.core.spec import MAX_SAMPLES
from bpsim.datasets import (
    DatasetError,
    builtin_names,
    builtin_options,
    bundled,
    classification2d,
    load_builtin,
    logic,
    regression,
)

BAD_WHOLE = [0, -1, 2.5, 200.0, "200", None, True, [1], float("nan")]
BAD_BOOL = [0, 1, "true", "false", None, 1.0, [True]]
BAD_NOISE = [-0.1, -1, float("nan"), float("inf"), float("-inf"), "0.1", None, True, 1e4, 10**400]
BAD_SEED = [-1, 1.5, 1.0, "0", None, False, 2**64]
BAD_COEFFICIENT = [float("nan"), float("inf"), "1", None, True, 1e7, -1e7]

BAD_VALUES: dict[str, list[object]] = {
    "size": BAD_WHOLE,
    "one_hot": BAD_BOOL,
    "standardize": BAD_BOOL,
    "scale": BAD_BOOL,
    "noise": BAD_NOISE,
    "seed": BAD_SEED,
    "a": BAD_COEFFICIENT,
    "b": BAD_COEFFICIENT,
    "c": BAD_COEFFICIENT,
}

CASES = [
    (name, option, value)
    for name in builtin_names()
    for option in builtin_options(name)
    for value in BAD_VALUES[option]
]


def test_every_option_has_bad_values_to_try() -> None:
    options = {option for name in builtin_names() for option in builtin_options(name)}
    assert options == set(BAD_VALUES)


@pytest.mark.parametrize(("name", "option", "value"), CASES)
def test_bad_option_value_names_the_option(name: str, option: str, value: object) -> None:
    with pytest.raises(DatasetError) as e:
        load_builtin(name, {option: value})
    assert e.value.place == option
    assert str(e.value).startswith(f"{option}: expected ")
    assert "got " in e.value.message


@pytest.mark.parametrize("name", builtin_names())
def test_unknown_option_lists_the_known_ones(name: str) -> None:
    with pytest.raises(DatasetError) as e:
        load_builtin(name, {"sizee": 3})
    assert e.value.place == "sizee"
    assert f"unknown option 'sizee' of data set '{name}'; expected one of " in str(e.value)
    for option in builtin_options(name):
        assert option in e.value.message


def test_builtin_key_with_another_name_is_unknown() -> None:
    with pytest.raises(DatasetError, match=r"^builtin: unknown option 'builtin'"):
        load_builtin("xor", {"builtin": "and"})


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(DatasetError, match=r"^builtin: expected the options as an object"):
        load_builtin("xor", [("one_hot", True)])  # type: ignore[arg-type]


def test_name_must_be_a_string() -> None:
    with pytest.raises(DatasetError, match=r"^builtin: unknown data set 3"):
        load_builtin(3, {})  # type: ignore[arg-type]


def test_size_limits_and_messages() -> None:
    with pytest.raises(DatasetError) as e:
        load_builtin("circle", {"size": MAX_SAMPLES + 1})
    assert str(e.value) == ("size: expected a whole number from 1 to 2,000,000; got 2000001")
    with pytest.raises(DatasetError, match=r"^size: .* from 1 to 1,797; got 1798$"):
        load_builtin("digits", {"size": 1798})
    with pytest.raises(DatasetError, match=r"^noise: expected a number from 0 to 1000; got -1$"):
        load_builtin("sine", {"noise": -1})
    with pytest.raises(DatasetError, match=r"^one_hot: expected true or false; got 1$"):
        load_builtin("xor", {"one_hot": 1})
    with pytest.raises(DatasetError, match=r"^size: .*got '200'$"):
        load_builtin("moons", {"size": "200"})


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(DatasetError) as e:
        load_builtin("sine", {"seed": "x" * 500})
    assert len(str(e.value)) < 120 and str(e.value).endswith("...'")
    with pytest.raises(DatasetError, match=r"got a 101-digit number$"):
        load_builtin("sine", {"seed": 10**100})
    with pytest.raises(DatasetError, match="a number too long to show"):
        load_builtin("sine", {"seed": 10**5000})


def test_edge_values_are_accepted() -> None:
    assert load_builtin("circle", {"size": 1, "noise": 0, "seed": 0}).size == 1
    assert load_builtin("sine", {"noise": 1000, "seed": 2**64 - 1}).size == 100
    assert load_builtin("plane", {"a": 1e6, "b": -1e6, "c": 0}).size == 100
    assert load_builtin("digits", {"size": 1}).size == 1
    # NumPy scalars, as a caller building options from arrays might pass, are fine.
    assert load_builtin("spiral", {"size": np.int64(5), "noise": np.float64(0.1)}).size == 5
    assert load_builtin("xor", {"one_hot": np.bool_(True)}).targets.shape == (4, 2)


@pytest.mark.parametrize(
    ("module", "function"),
    [
        (classification2d, "generator"),
        (regression, "generator"),
        (bundled, "digits_raw"),
    ],
)
def test_checks_run_before_anything_is_generated(
    monkeypatch: pytest.MonkeyPatch, module: object, function: str
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("generated before checking the options")

    monkeypatch.setattr(module, function, must_not_run)
    for name in ("circle", "spiral", "sine", "plane", "digits"):
        with pytest.raises(DatasetError):
            load_builtin(name, {"size": 10**12})
    with pytest.raises(DatasetError):
        load_builtin("plane", {"size": 5, "c": float("nan")})


def test_dataset_error_shape_and_pickling() -> None:
    e = DatasetError("row 5, column 'price'", "'abc' is not a number")
    assert isinstance(e, ValueError)
    assert str(e) == "row 5, column 'price': 'abc' is not a number"
    assert (e.place, e.message) == ("row 5, column 'price'", "'abc' is not a number")
    copy = pickle.loads(pickle.dumps(e))
    assert (type(copy), str(copy), copy.place, copy.message) == (
        DatasetError, str(e), e.place, e.message
    )  # fmt: skip


def test_gates_take_only_one_hot() -> None:
    assert builtin_options("and") == {"one_hot": False}
    with pytest.raises(DatasetError, match=r"^size: unknown option 'size' of data set 'and'"):
        load_builtin("and", {"size": 4})
    assert logic.gate_and(one_hot=True).targets.shape == (4, 2)

"""Hypothesis strategies for `.bpsim` documents: valid networks and arbitrary JSON values."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from bpsim.core.spec import ACTIVATIONS, BIAS_MODES, INIT_METHODS, OPTIMIZER_DEFAULTS

#: Any finite float64: subnormals, -0.0, the extremes.
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
non_negative = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
unit_open = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)
unit = st.floats(min_value=0.0, max_value=1.0)
label = st.text(min_size=1, max_size=6).filter(lambda s: s.strip() != "")

json_scalars = st.none() | st.booleans() | st.integers() | finite | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)

_HYPER_RANGES: dict[str, st.SearchStrategy[Any]] = {
    "beta1": unit_open,
    "beta2": unit_open,
    "rho": unit,
}


@st.composite
def optimizers(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(OPTIMIZER_DEFAULTS)))
    out: dict[str, Any] = {"name": name}
    for key, default in OPTIMIZER_DEFAULTS[name].items():
        if default is not None and not draw(st.booleans()):
            continue
        if isinstance(default, bool):
            out[key] = draw(st.booleans())
        elif key == "dampening":
            out[key] = draw(finite)
        else:
            out[key] = draw(_HYPER_RANGES.get(key, non_negative))
    if out.get("nesterov") is True:
        out["momentum"] = draw(st.floats(min_value=1e-3, max_value=10))
        out["dampening"] = 0.0
    return out


@st.composite
def valid_docs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid `.bpsim` document (inline data), exercising every optional part."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    last = len(sizes) - 1
    layers: list[dict[str, Any]] = []
    masks: list[list[list[int]] | None] = [None]
    for k, size in enumerate(sizes):
        layer: dict[str, Any] = {"size": size}
        if k > 0:
            choices = ACTIVATIONS if k == last else tuple(a for a in ACTIVATIONS if a != "softmax")
            if draw(st.booleans()):
                layer["activation"] = draw(st.sampled_from(choices))
            if draw(st.booleans()):
                layer["bias"] = draw(st.sampled_from(BIAS_MODES))
            if draw(st.booleans()):
                layer["train_weights"] = draw(st.booleans())
            if draw(st.booleans()):
                layer["train_bias"] = draw(st.booleans())
            mask = None
            if draw(st.booleans()):
                mask = draw(
                    st.lists(
                        st.lists(
                            st.sampled_from([0, 1]), min_size=sizes[k - 1], max_size=sizes[k - 1]
                        ),
                        min_size=size,
                        max_size=size,
                    )
                )
                layer["mask"] = mask
            masks.append(mask)
        if draw(st.booleans()):
            layer["labels"] = draw(st.lists(label, min_size=size, max_size=size))
        layers.append(layer)
    out_activation = layers[-1].get("activation", "sigmoid")
    losses = ["half_sse", "mse"]
    if out_activation == "sigmoid":
        losses.append("binary_cross_entropy")
    if out_activation == "softmax":
        losses.append("cross_entropy")
    loss = draw(st.sampled_from(losses))
    doc: dict[str, Any] = {"format": "bpsim", "version": 1}
    if draw(st.booleans()):
        doc["name"] = draw(st.text(max_size=20))
    if draw(st.booleans()):
        doc["description"] = draw(st.text(max_size=40))
    doc["layers"] = layers
    if draw(st.booleans()):
        weights = []
        biases = []
        for k in range(1, len(sizes)):
            w = draw(
                st.lists(
                    st.lists(finite, min_size=sizes[k - 1], max_size=sizes[k - 1]),
                    min_size=sizes[k],
                    max_size=sizes[k],
                )
            )
            mask = masks[k]
            if mask is not None:
                w = [
                    [v if m else 0.0 for v, m in zip(row, mrow, strict=True)]
                    for row, mrow in zip(w, mask, strict=True)
                ]
            weights.append(w)
            count = {"per_neuron": sizes[k], "shared": 1, "none": 0}[
                layers[k].get("bias", "per_neuron")
            ]
            biases.append(draw(st.lists(finite, min_size=count, max_size=count)))
        doc["parameters"] = {"weights": weights, "biases": biases}
    if draw(st.booleans()):
        init: dict[str, Any] = {}
        method = draw(st.sampled_from(INIT_METHODS))
        if draw(st.booleans()) or method == "uniform":
            init["method"] = method
        if draw(st.booleans()):
            init["seed"] = draw(st.integers(0, 2**64 - 1))
        if method == "uniform" and draw(st.booleans()):
            low = draw(st.floats(-1e6, 1e6))
            init["low"] = low
            init["high"] = draw(st.floats(low, 2e6).filter(lambda h: h > low))
        doc["init"] = init
    doc["loss"] = loss
    doc["optimizer"] = draw(optimizers())
    if draw(st.booleans()):
        training: dict[str, Any] = {}
        if draw(st.booleans()):
            training["batch_size"] = draw(st.just("full") | st.integers(1, 10**6))
        if draw(st.booleans()):
            training["shuffle"] = draw(st.booleans())
        if draw(st.booleans()):
            training["seed"] = draw(st.integers(0, 2**64 - 1))
        if draw(st.booleans()):
            training["validation_fraction"] = draw(unit_open)
        if draw(st.booleans()):
            training["early_stopping"] = draw(
                st.none() | st.builds(lambda p: {"patience": p}, st.integers(1, 1000))
            )
        doc["training"] = training
    rows = draw(st.integers(1, 4))
    target_values = {
        "binary_cross_entropy": unit,
        "cross_entropy": st.floats(min_value=0.0, max_value=1e300),
    }.get(loss, finite)
    doc["dataset"] = {
        "inputs": draw(
            st.lists(
                st.lists(finite, min_size=sizes[0], max_size=sizes[0]), min_size=rows, max_size=rows
            )
        ),
        "targets": draw(
            st.lists(
                st.lists(target_values, min_size=sizes[-1], max_size=sizes[-1]),
                min_size=rows,
                max_size=rows,
            )
        ),
    }
    if draw(st.booleans()):
        doc["state"] = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=4))
    if draw(st.booleans()):
        doc["view"] = draw(st.dictionaries(st.text(max_size=6), json_values, max_size=4))
    return doc

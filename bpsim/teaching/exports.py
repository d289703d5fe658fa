"""The current parameters and optimizer state, for handouts: as JSON, as a NumPy snippet
and as a PyTorch snippet.

The JSON holds the numbers the way the `.bpsim` file shapes them (every float written
with ``repr``, so every bit comes back). The NumPy snippet is a standalone script whose
``forward(x)`` gives bit for bit what :meth:`Network.outputs` gives: the same operations
in the same order. The PyTorch snippet builds the same network as an ``nn.Sequential`` in
float64 with the matching loss and optimizer (same hyper-parameters, state loaded), so a
student can go on training where the simulator stopped; PyTorch agrees to float64
round-off, not always bit for bit (see ``bpsim.core.optimizers``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from bpsim.core.trainer import Trainer
from bpsim.fileformat.serialize import layer_settings

LINE = 96  # longest line of numbers written in a snippet
MAX_LABELS = 6  # neuron names listed per layer in a comment

# The activations as NumPy code doing exactly what bpsim.core.activations does.
NUMPY_ACTIVATIONS = {
    "sigmoid": ("def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n"),
    "tanh": ("def tanh(z):\n    return np.tanh(z)\n"),
    "relu": ("def relu(z):\n    return np.maximum(z, 0.0)\n"),
    "leaky_relu": ("def leaky_relu(z):\n    return np.maximum(z, z * 0.01)\n"),
    "linear": ("def linear(z):\n    return z\n"),
    "softmax": (
        "def softmax(z):\n"
        "    e = np.exp(z - z.max(axis=1, keepdims=True))  # shifted: cannot overflow\n"
        "    return e / e.sum(axis=1, keepdims=True)\n"
    ),
}

# Each loss per sample, as bpsim.core.losses computes it (o: outputs, t: targets, z: the
# output layer's net inputs); the batch loss is their mean.
NUMPY_LOSSES = {
    "half_sse": (
        "    diff = t - o  # E = ½ Σₖ (tₖ − oₖ)²\n"
        '    per_sample = 0.5 * np.einsum("bk,bk->b", diff, diff)\n'
    ),
    "mse": (
        "    diff = t - o  # E = (1/K) Σₖ (tₖ − oₖ)²\n"
        '    per_sample = np.einsum("bk,bk->b", diff, diff) / o.shape[1]\n'
    ),
    "binary_cross_entropy": (
        "    # E = −(1/K) Σₖ [tₖ ln oₖ + (1 − tₖ) ln(1 − oₖ)], each log clamped at −100\n"
        '    with np.errstate(divide="ignore"):\n'
        "        log_o = np.maximum(np.log(o), -100.0)\n"
        "        log_1mo = np.maximum(np.log1p(-o), -100.0)\n"
        "    per_sample = -(t * log_o + (1.0 - t) * log_1mo).sum(axis=1) / o.shape[1]\n"
    ),
    "cross_entropy": (
        "    # E = −Σₖ tₖ ln oₖ; where a probability rounded to 0, ln softmax(z) is taken\n"
        "    # from z (log-sum-exp) so the logarithm stays finite\n"
        "    if o.all():\n"
        "        log_o = np.log(o)\n"
        "    else:\n"
        "        shifted = z - z.max(axis=1, keepdims=True)\n"
        "        log_o = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))\n"
        '    per_sample = -np.einsum("bk,bk->b", t, log_o)\n'
    ),
}

TORCH_ACTIVATIONS = {
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "linear": "nn.Identity()",
    "softmax": "nn.Softmax(dim=1)",
}

# bpsim's hyper-parameter names → PyTorch's keyword arguments (Adam's betas are a pair).
TORCH_OPTIMIZERS = {
    "sgd": (
        "SGD",
        {
            "learning_rate": "lr",
            "momentum": "momentum",
            "dampening": "dampening",
            "nesterov": "nesterov",
            "weight_decay": "weight_decay",
        },
    ),
    "adagrad": (
        "Adagrad",
        {
            "learning_rate": "lr",
            "lr_decay": "lr_decay",
            "weight_decay": "weight_decay",
            "initial_accumulator_value": "initial_accumulator_value",
            "eps": "eps",
        },
    ),
    "rmsprop": (
        "RMSprop",
        {
            "learning_rate": "lr",
            "alpha": "alpha",
            "eps": "eps",
            "weight_decay": "weight_decay",
            "momentum": "momentum",
            "centered": "centered",
        },
    ),
    "adam": (
        "Adam",
        {"learning_rate": "lr", "eps": "eps", "weight_decay": "weight_decay", "amsgrad": "amsgrad"},
    ),
    "adadelta": (
        "Adadelta",
        {"learning_rate": "lr", "rho": "rho", "eps": "eps", "weight_decay": "weight_decay"},
    ),
}


# -- JSON ------------------------------------------------------------------------------


def _check_finite(value: Any, place: str) -> None:
    """JSON has no NaN or infinity: name the first such number instead of writing it."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{place} is {value}; JSON can only hold finite numbers")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{place}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _check_finite(item, f"{place}[{n}]")


def parameters_data(trainer: Trainer) -> dict[str, Any]:
    """What :func:`parameters_json` writes, as plain data."""
    net = trainer.network
    layers = [
        {"size": layer.size, "labels": list(net.labels[k]), **layer_settings(layer, k)}
        for k, layer in enumerate(net.layers)
    ]
    hyper = {
        key: bool(value) if isinstance(value, (bool, np.bool_)) else float(value)
        for key, value in trainer.optimizer.hyper.items()
    }
    return {
        "name": trainer.lesson.name,
        "layers": layers,
        "loss": net.loss.name,
        "parameters": {
            "weights": [w.tolist() for w in net.weights],
            "biases": [b.tolist() for b in net.biases],
        },
        "optimizer": {"name": trainer.optimizer.name, **hyper},
        # per parameter array, in the order weights[0], biases[0], weights[1], …
        "optimizer_state": trainer.optimizer.state_dict(),
        "counters": {
            "epoch": trainer.epoch,
            "step": trainer.step_count,
            "batch": trainer.batch_index,
            "phase": trainer.phase.value,
        },
    }


def _json(value: Any, indent: str = "") -> str:
    """Indented JSON with each list of numbers (a matrix row) on one line, so a matrix
    reads as a matrix."""
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key)}: {_json(item, inner)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and any(isinstance(v, (list, dict)) for v in value):
        items = [f"{inner}{_json(item, inner)}" for item in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def parameters_json(trainer: Trainer) -> str:
    """The parameters, optimizer (name, hyper-parameters, state per array) and counters as
    JSON. Every float round-trips exactly; a non-finite number raises ValueError."""
    data = parameters_data(trainer)
    _check_finite(data, "export")
    return _json(data) + "\n"


# -- shared helpers for the snippets ------------------------------------------------------


def _number(value: float) -> str:
    """A float as Python source that reads back as the same bits."""
    text = repr(float(value))
    if not math.isfinite(float(value)):
        return f"float({text!r})"
    return text


def _pack(items: list[str], indent: str) -> list[str]:
    """Comma-separated items in lines of at most ``LINE`` characters."""
    lines: list[str] = []
    current = ""
    for item in items:
        piece = f"{item},"
        if current and len(indent) + len(current) + 1 + len(piece) > LINE:
            lines.append(indent + current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        lines.append(indent + current)
    return lines


def _literal(values: Any, indent: str = "") -> str:
    """A nested list of floats as readable, exact Python source."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return _number(float(array))
    if array.ndim == 1:
        items = [_number(v) for v in array.tolist()]
        one_line = "[" + ", ".join(items) + "]"
        if len(indent) + len(one_line) <= LINE:
            return one_line
        return "[\n" + "\n".join(_pack(items, indent + "    ")) + "\n" + indent + "]"
    rows = [_literal(row, indent + "    ") for row in array]
    return "[\n" + "".join(f"{indent}    {row},\n" for row in rows) + indent + "]"


def _names(labels: Iterable[str]) -> str:
    names = list(labels)
    shown = ", ".join(names[:MAX_LABELS])
    return shown + (f", … ({len(names)} in all)" if len(names) > MAX_LABELS else "")


def _bias_text(mode: str) -> str:
    return {
        "per_neuron": "one bias per neuron",
        "shared": "one bias shared by the whole layer (added to every neuron)",
        "none": "no bias",
    }[mode]


def _header(trainer: Trainer, what: str) -> list[str]:
    net = trainer.network
    # the name goes into a docstring: keep it from ending it early
    name = (trainer.lesson.name or "A network").replace("\\", "/").replace('"', "'")
    sizes = "-".join(str(s) for s in net.sizes)
    return [
        f'"""{name}: {what}, exported from bpsim.',
        "",
        f"A {sizes} network with loss {net.loss.name}, after {trainer.epoch} epoch"
        f"{'s' if trainer.epoch != 1 else ''} and {trainer.step_count} step"
        f"{'s' if trainer.step_count != 1 else ''} (optimizer {trainer.optimizer.name}).",
        "Samples are rows: x has one row per sample and one column per input.",
        '"""',
        "",
    ]


def _optimizer_state_lines(trainer: Trainer, array_names: list[str]) -> list[str]:
    """The optimizer's hyper-parameters and state per parameter array, as NumPy data."""
    lines = ["# The optimizer and its state, per parameter array (PyTorch's buffer names)."]
    lines.append("optimizer = {")
    lines.append(f"    'name': {trainer.optimizer.name!r},")
    for key, value in trainer.optimizer.hyper.items():
        lines.append(f"    {key!r}: {_torch_value(value)},")
    lines.append("}")
    state = trainer.optimizer.state_dict()
    lines.append("optimizer_state = {")
    lines.append(f"    'step': {dict(zip(array_names, state['step'], strict=True))!r},")
    for key, entries in state.items():
        if key == "step":
            continue
        lines.append(f"    {key!r}: {{")
        for name, entry in zip(array_names, entries, strict=True):
            if entry is None:
                lines.append(f"        {name!r}: None,  # not created yet")
            else:
                lines.append(f"        {name!r}: np.array({_literal(entry, '        ')}),")
        lines.append("    },")
    lines.append("}")
    return lines


# -- NumPy -------------------------------------------------------------------------------


def numpy_snippet(trainer: Trainer) -> str:
    """A standalone Python script: the parameters as NumPy arrays (W0, b0, W1, …) with
    exact floats, the activations and the loss, and ``forward(x)`` computing the outputs
    bit for bit as bpsim does (``outputs(x)`` gives net inputs and outputs, ``loss(x, t)``
    the mean loss). The optimizer and its state are included as data."""
    net = trainer.network
    out = _header(trainer, "the network's parameters in NumPy")
    out += ["import numpy as np", ""]
    array_names: list[str] = []
    for k, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        layer = net.layers[k + 1]
        array_names += [f"W{k}", f"b{k}"]
        out.append(
            f"# Layer {k + 1} ({_names(net.labels[k + 1])}): {layer.activation}, "
            f"{_bias_text(layer.bias)}."
        )
        out.append(f"# W{k}: a row per neuron of layer {k + 1}, a column per neuron of layer {k}.")
        if not layer.train_weights or not layer.train_bias:
            frozen = [
                n
                for n, t in (("weights", layer.train_weights), ("bias", layer.train_bias))
                if not t
            ]
            out.append(f"# Frozen (not trained): {' and '.join(frozen)}.")
        out.append(f"W{k} = np.array({_literal(w)})")
        if layer.mask is not None:
            out.append(
                f"# Links that are 0 in M{k} are masked out: their weights are 0 and stay 0."
            )
            mask = (np.asarray(layer.mask) != 0).astype(np.int64).tolist()
            out.append(f"M{k} = np.array({mask!r})")
        if b.size:
            out.append(f"b{k} = np.array({_literal(b)})")
        else:
            out.append(f"b{k} = np.zeros(0)  # no bias")
        out.append("")
    out += _optimizer_state_lines(trainer, array_names)
    out.append("")
    out.append("")
    used = []
    for layer in net.layers[1:]:
        if layer.activation not in used:
            used.append(layer.activation)
    for name in used:
        out.append(NUMPY_ACTIVATIONS[name])
        out.append("")
    out.append("def outputs(x):")
    out.append('    """The output layer\'s net inputs z and activations a for samples x."""')
    out.append("    a = np.asarray(x, dtype=np.float64)")
    for k, (b, layer) in enumerate(zip(net.biases, net.layers[1:], strict=True)):
        plus = f" + b{k}" if b.size else ""
        out.append(f"    z = a @ W{k}.T{plus}")
        out.append(f"    a = {layer.activation}(z)")
    out.append("    return z, a")
    out.append("")
    out.append("")
    out.append("def forward(x):")
    out.append('    """The network\'s outputs for samples x (one row each)."""')
    out.append("    return outputs(x)[1]")
    out.append("")
    out.append("")
    out.append("def loss(x, t):")
    out.append(f'    """The mean {net.loss.name} loss on samples x with targets t."""')
    out.append("    z, o = outputs(x)")
    out.append("    t = np.asarray(t, dtype=np.float64)")
    out.append(NUMPY_LOSSES[net.loss.name].rstrip("\n"))
    out.append("    return float(np.add.reduce(per_sample)) / o.shape[0]")
    return "\n".join(out) + "\n"


# -- PyTorch -----------------------------------------------------------------------------


def _torch_value(value: float | bool) -> str:
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    return _number(float(value))


def _torch_optimizer(trainer: Trainer) -> list[str]:
    name = trainer.optimizer.name
    cls, keys = TORCH_OPTIMIZERS[name]
    hyper = trainer.optimizer.hyper
    args = [f"{keys[key]}={_torch_value(hyper[key])}" for key in keys if key in hyper]
    if name == "adam":
        betas = f"betas=({_torch_value(hyper['beta1'])}, {_torch_value(hyper['beta2'])})"
        args.insert(1, betas)
    args.append("foreach=False,  # the single-tensor code path bpsim follows")
    lines = [f"optimizer = torch.optim.{cls}(", "    trainable,"]
    lines += [f"    {arg}" if arg.startswith("foreach") else f"    {arg}," for arg in args]
    lines.append(")")
    return lines


def pytorch_snippet(trainer: Trainer) -> str:
    """A standalone PyTorch script: the network as ``nn.Sequential`` of float64 Linear
    layers with the weights copied in, the loss (``loss_fn(x, t)``) and the optimizer with
    the same hyper-parameters and its state loaded, ready for ``train_step(x, t)``. A
    shared bias is one parameter, so it is a small module of its own; masked links are
    kept at 0 by a gradient hook; frozen arrays do not require gradients."""
    net = trainer.network
    out = _header(trainer, "the network, loss and optimizer in PyTorch")
    out += [
        "import torch",
        "from torch import nn",
        "",
        "",
        "class SharedBias(nn.Module):",
        '    """One bias added to every neuron of a layer: bpsim\'s "shared" bias, a single',
        '    parameter (nn.Linear\'s bias has one per neuron)."""',
        "",
        "    def __init__(self, value):",
        "        super().__init__()",
        "        self.bias = nn.Parameter(torch.tensor([value], dtype=torch.float64))",
        "",
        "    def forward(self, z):",
        "        return z + self.bias",
        "",
        "",
    ]
    modules: list[str] = []
    arrays: list[tuple[str, str | None]] = []  # (weight, bias) expressions per layer
    for k, layer in enumerate(net.layers[1:]):
        prev = net.sizes[k]
        index = len(modules)
        per_neuron = layer.bias == "per_neuron"
        modules.append(
            f"nn.Linear({prev}, {layer.size}, bias={per_neuron}, dtype=torch.float64),"
            f"  # layer {k + 1}: {_names(net.labels[k + 1])}"
        )
        weight = f"model[{index}].weight"
        bias: str | None = f"model[{index}].bias" if per_neuron else None
        if layer.bias == "shared":
            modules.append(f"SharedBias({_number(float(net.biases[k][0]))}),")
            bias = f"model[{index + 1}].bias"
        modules.append(f"{TORCH_ACTIVATIONS[layer.activation]},")
        arrays.append((weight, bias))
    out.append("model = nn.Sequential(")
    out += [f"    {m}" for m in modules]
    out.append(")")
    out.append("")
    out.append("# The weights (and per-neuron biases) exactly as bpsim has them.")
    out.append("with torch.no_grad():")
    for k, ((weight, bias), layer) in enumerate(zip(arrays, net.layers[1:], strict=True)):
        out.append(
            f"    {weight}.copy_(torch.tensor({_literal(net.weights[k], '    ')}, "
            "dtype=torch.float64))"
        )
        if layer.bias == "per_neuron":
            out.append(
                f"    {bias}.copy_(torch.tensor({_literal(net.biases[k], '    ')}, "
                "dtype=torch.float64))"
            )
    out.append("")
    out.append("# Parameter arrays in bpsim's order (weights[0], biases[0], weights[1], …);")
    out.append("# None where a layer has no bias.")
    out.append("arrays = [")
    for weight, bias in arrays:
        out.append(f"    {weight}, {bias if bias else 'None'},")
    out.append("]")
    frozen_lines: list[str] = []
    for k, ((weight, bias), layer) in enumerate(zip(arrays, net.layers[1:], strict=True)):
        if not layer.train_weights:
            frozen_lines.append(f"{weight}.requires_grad_(False)  # layer {k + 1}'s weights")
        if bias is not None and not layer.train_bias:
            frozen_lines.append(f"{bias}.requires_grad_(False)  # layer {k + 1}'s bias")
    if frozen_lines:
        out.append("")
        out.append("# Frozen arrays get no gradient, so the optimizer skips them.")
        out += frozen_lines
    mask_lines: list[str] = []
    for k, ((weight, _), layer) in enumerate(zip(arrays, net.layers[1:], strict=True)):
        if layer.mask is None:
            continue
        mask = (np.asarray(layer.mask) != 0).astype(np.float64)
        mask_lines.append(f"M{k} = torch.tensor({_literal(mask)}, dtype=torch.float64)")
        if layer.train_weights:
            mask_lines.append(f"{weight}.register_hook(lambda grad, m=M{k}: grad * m)")
    if mask_lines:
        out.append("")
        out.append("# Masked links (0 in the mask) do not exist: their weights are 0 and a hook")
        out.append("# zeroes their gradients, so training keeps them 0.")
        out += mask_lines
    out.append("")
    out.append("")
    out += _torch_loss(net.loss.name)
    out.append("")
    out.append("")
    out.append("trainable = [p for p in arrays if p is not None]")
    out += _torch_optimizer(trainer)
    out += _torch_state(trainer, [a for pair in arrays for a in pair])
    out += [
        "",
        "",
        "def train_step(x, t):",
        '    """One bpsim step on a batch: forward, backward, update. Returns the loss',
        '    before the update."""',
        "    optimizer.zero_grad()",
        "    batch_loss = loss_fn(x, t)",
        "    batch_loss.backward()",
        "    optimizer.step()",
        "    return batch_loss.item()",
    ]
    return "\n".join(out) + "\n"


def _torch_loss(name: str) -> list[str]:
    body = {
        "half_sse": [
            "    # ½ Σₖ (tₖ − oₖ)² per sample (PyTorch has no such loss), averaged over samples",
            "    return 0.5 * ((t - model(x)) ** 2).sum(dim=1).mean()",
        ],
        "mse": ["    return nn.functional.mse_loss(model(x), t)"],
        "binary_cross_entropy": ["    return nn.functional.binary_cross_entropy(model(x), t)"],
        "cross_entropy": [
            "    # PyTorch's cross-entropy takes the net inputs z before the softmax",
            "    return nn.functional.cross_entropy(model[:-1](x), t)",
        ],
    }[name]
    return [
        "def loss_fn(x, t):",
        f'    """The mean {name} loss on samples x with targets t (both float64 tensors)."""',
        *body,
    ]


def _torch_state(trainer: Trainer, arrays: list[str | None]) -> list[str]:
    """Lines loading bpsim's optimizer state into ``optimizer.state`` (PyTorch creates a
    parameter's state on its first step; Adagrad creates it at once)."""
    name = trainer.optimizer.name
    state = trainer.optimizer.state_dict()
    steps: list[int] = state["step"]
    keys = [key for key in state if key != "step"]
    lines: list[str] = []
    for i, (step, array) in enumerate(zip(steps, arrays, strict=True)):
        if array is None:
            continue  # a layer without bias: no tensor in PyTorch
        parts: list[str] = []
        if name != "sgd":  # PyTorch's SGD keeps no step count
            if step == 0 and name != "adagrad":
                continue
            parts.append(f"    'step': torch.tensor({float(step)!r}),")
        for key in keys:
            value = state[key][i]
            if value is not None:
                parts.append(
                    f"    {key!r}: torch.tensor({_literal(value, '    ')}, dtype=torch.float64),"
                )
        if not parts:
            continue
        kind = "weights" if i % 2 == 0 else "biases"
        lines.append(f"optimizer.state[{array}] = {{  # {kind}[{i // 2}]")
        lines += parts
        lines.append("}")
    if not lines:
        return ["# The optimizer has no state yet (no step taken)."]
    return ["", "# The optimizer's state as bpsim has it (PyTorch's names).", *lines]

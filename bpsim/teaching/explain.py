"""One training step written out the way the textbooks do it, as data.

The functions here read a :class:`~bpsim.core.network.Trace` and return the numbers of
each formula a seed works by hand: a neuron's net input as its weighted sum, its
activation, a weight's gradient as its chain-rule factors, a parameter's update. The
command line turns them into Markdown, HTML or JSON; the window's inspector shows them.
Nothing here computes anything the engine did not: the factors are read from the trace and
their product is the engine's gradient (for a batch of one; for larger batches the
gradient is the mean over the samples, and the chain rule is shown for one sample).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bpsim.core.network import Network, Trace


@dataclass
class Names:
    """How the worked example names neurons and parameters (file labels, seed names)."""

    neurons: list[list[str]]
    parameters: dict[str, str] = field(default_factory=dict)  # "weights[1][0][0]" → "w5"

    def weight(self, k: int, j: int, i: int) -> str:
        key = f"weights[{k}][{j}][{i}]"
        return self.parameters.get(key, f"w({self.neurons[k][i]}→{self.neurons[k + 1][j]})")

    def bias(self, k: int, j: int, shared: bool) -> str:
        key = f"biases[{k}][{j}]"
        if key in self.parameters:
            return self.parameters[key]
        return f"b(layer {k + 1})" if shared else f"b({self.neurons[k + 1][j]})"


def names_for(network: Network, view: dict | None) -> Names:
    parameters = {}
    if view and isinstance(view.get("weight_names"), dict):
        parameters = {str(k): str(v) for k, v in view["weight_names"].items()}
    return Names(network.labels, parameters)


@dataclass
class Term:
    """One product in a weighted sum: weight × input."""

    weight_name: str
    weight: float
    input_name: str
    value: float


@dataclass
class NeuronForward:
    """net = Σ w·in + b and out = f(net) for one neuron and one sample."""

    layer: int
    index: int
    name: str
    terms: list[Term]
    bias_name: str | None
    bias: float
    net: float
    activation: str
    out: float


def neuron_forward(
    net: Network, trace: Trace, names: Names, k: int, j: int, s: int = 0
) -> NeuronForward:
    """Neuron j of layer k (k ≥ 1) on sample s of the trace's batch."""
    w = net.weights[k - 1]
    layer = net.layers[k]
    mask = net.masks[k - 1]
    terms = [
        Term(
            names.weight(k - 1, j, i),
            float(w[j, i]),
            names.neurons[k - 1][i],
            float(trace.a[k - 1][s, i]),
        )
        for i in range(w.shape[1])
        if mask is None or mask[j, i] != 0
    ]
    b = net.biases[k - 1]
    bias_index = 0 if layer.bias == "shared" else j
    bias_name = (
        None if layer.bias == "none" else names.bias(k - 1, bias_index, layer.bias == "shared")
    )
    bias = float(b[bias_index]) if b.size else 0.0
    return NeuronForward(
        layer=k,
        index=j,
        name=names.neurons[k][j],
        terms=terms,
        bias_name=bias_name,
        bias=bias,
        net=float(trace.z[k][s, j]),
        activation=layer.activation,
        out=float(trace.a[k][s, j]),
    )


@dataclass
class PathTerm:
    """One path back from a hidden neuron: δ of a next-layer neuron × the weight to it."""

    neuron: str
    delta: float
    weight_name: str
    weight: float


@dataclass
class NeuronBackward:
    """∂E/∂out, ∂out/∂net and the delta ∂E/∂net of one neuron on one sample."""

    layer: int
    index: int
    name: str
    grad_out: float  # ∂E/∂out
    fprime: float  # ∂out/∂net (for softmax: the Jacobian's diagonal)
    delta: float  # ∂E/∂net
    paths: list[PathTerm]  # for a hidden neuron: how ∂E/∂out sums over the next layer
    fused: bool  # the delta came from the loss and activation together (o − t)


def neuron_backward(
    net: Network, trace: Trace, names: Names, k: int, j: int, s: int = 0
) -> NeuronBackward:
    paths: list[PathTerm] = []
    if k < net.depth:
        w_next = net.weights[k]
        mask = net.masks[k]
        paths = [
            PathTerm(
                names.neurons[k + 1][m],
                float(trace.delta[k + 1][s, m]),
                names.weight(k, m, j),
                float(w_next[m, j]),
            )
            for m in range(w_next.shape[0])
            if mask is None or mask[m, j] != 0
        ]
    act = net.layers[k].activation
    fused = k == net.depth and (
        (net.loss.name == "cross_entropy" and act == "softmax")
        or (net.loss.name == "binary_cross_entropy" and act == "sigmoid")
        or act == "softmax"
    )
    return NeuronBackward(
        layer=k,
        index=j,
        name=names.neurons[k][j],
        grad_out=float(trace.grad_a[k][s, j]),
        fprime=float(trace.fprime[k][s, j]),
        delta=float(trace.delta[k][s, j]),
        paths=paths,
        fused=fused,
    )


@dataclass
class WeightGradient:
    """∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w for one link (one sample's chain rule),
    and the engine's gradient (the batch mean)."""

    name: str
    source: str
    target: str
    grad_out: float
    fprime: float
    delta: float
    input_value: float
    gradient: float
    batch_size: int


def weight_gradient(
    net: Network, trace: Trace, names: Names, k: int, j: int, i: int, s: int = 0
) -> WeightGradient:
    """The link from neuron i of layer k to neuron j of layer k+1."""
    return WeightGradient(
        name=names.weight(k, j, i),
        source=names.neurons[k][i],
        target=names.neurons[k + 1][j],
        grad_out=float(trace.grad_a[k + 1][s, j]),
        fprime=float(trace.fprime[k + 1][s, j]),
        delta=float(trace.delta[k + 1][s, j]),
        input_value=float(trace.a[k][s, i]),
        gradient=float(trace.weight_grads[k][j, i]),
        batch_size=trace.batch_size,
    )


@dataclass
class ParameterUpdate:
    name: str
    before: float
    gradient: float
    delta: float
    after: float


def parameter_updates(
    net: Network,
    names: Names,
    before: list[np.ndarray],
    gradients: list[np.ndarray],
    deltas: list[np.ndarray],
) -> list[ParameterUpdate]:
    """Every trainable number's value before and after an update, in file order."""
    rows: list[ParameterUpdate] = []
    after = net.parameter_arrays()
    for n, (b, g, d, a) in enumerate(zip(before, gradients, deltas, after, strict=True)):
        k, is_bias = divmod(n, 2)
        layer = net.layers[k + 1]
        if is_bias:
            for j in range(b.size):
                name = names.bias(k, j, layer.bias == "shared")
                rows.append(
                    ParameterUpdate(name, float(b[j]), float(g[j]), float(d[j]), float(a[j]))
                )
        else:
            mask = net.masks[k]
            for j, i in np.ndindex(b.shape):
                if mask is not None and mask[j, i] == 0:
                    continue
                rows.append(
                    ParameterUpdate(
                        names.weight(k, j, i),
                        float(b[j, i]),
                        float(g[j, i]),
                        float(d[j, i]),
                        float(a[j, i]),
                    )
                )
    return rows

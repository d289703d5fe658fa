"""The canonical arithmetic of tiny networks: straight-line Python float code.

Why generated code: a 2-2-2 network makes about 60 float operations a step, and NumPy
pays 0.5–1 µs of call overhead on each of its ~40 calls, so a step costs ten times its
arithmetic. The same operations written out as Python float expressions, one line each,
run a whole step in a few µs. The code is built here, and only here, from the network's
*sizes* (integers), activation and loss names checked against the fixed tables below,
and bias modes: no text from a lesson ever reaches it (a test checks that). It is
compiled with ``exec`` once per network shape; tests/reliability/test_data_only.py allows
``exec`` in this module alone, for that reason.

Every mode uses this arithmetic for an eligible network trained on batches of one sample
(:func:`kernel_for`): phase stepping calls the per-layer functions (``forward[k]``,
``backward[k]``), the Run loop and ``bpsim train`` the whole-step ``blocks`` for SGD;
both are made of the same generated lines, so they give the same bits. Sums run
left to right, z = a₀w₀ + a₁w₁ + … + b; e^x comes from ``math.exp`` (overflow gives ∞, as
in NumPy). The losses themselves are still computed by :mod:`bpsim.core.losses` from the
outputs, in every mode.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Networks with at most this many parameters take the scalar path (batch 1).
MAX_PARAMETERS = 64
#: SGD's momentum variants the Run blocks cover (optimizers.SGD's branches).
MOMENTUM_MODES = ("none", "momentum", "dampened", "nesterov")

# f(z) and f'(z) as expressions of the variables {z} and {a}; f' None means 1.
_ACTIVATIONS: dict[str, tuple[str, str | None]] = {
    "sigmoid": (
        "1.0 / (1.0 + (_e(-{z}) if {z} > -709.0 else _big_exp(-{z})))",
        "(1.0 - {a}) * {a}",
    ),
    "tanh": ("_tanh({z})", "1.0 - {a} * {a}"),
    "relu": ("({z} if not {z} <= 0.0 else 0.0)", "(1.0 if {z} > 0.0 else 0.0)"),
    "linear": ("{z}", None),
}
_LOSSES = ("half_sse", "mse", "binary_cross_entropy")


def _big_exp(x: float) -> float:
    """e^x where it may overflow: ∞ then, as NumPy gives (math.exp raises)."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


@dataclass(frozen=True)
class Shape:
    """What the generated code depends on: integers and names from the fixed tables."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]  # per layer 1..L
    biases: tuple[str, ...]  # per layer 1..L: per_neuron, shared or none
    loss: str


def eligible(shape: Shape) -> bool:
    """Whether the scalar path covers this network."""
    sizes = shape.sizes
    count = sum(
        b * a + (b if mode == "per_neuron" else 1 if mode == "shared" else 0)
        for a, b, mode in zip(sizes, sizes[1:], shape.biases, strict=False)
    )
    return (
        len(sizes) >= 2
        and 0 < count <= MAX_PARAMETERS
        and all(isinstance(n, int) and n > 0 for n in sizes)
        and all(name in _ACTIVATIONS for name in shape.activations)
        and all(mode in ("per_neuron", "shared", "none") for mode in shape.biases)
        and shape.loss in _LOSSES
        and len(shape.activations) == len(shape.biases) == len(sizes) - 1
    )


class _Code:
    """The generated lines for one shape; variable names are built from integers."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape
        self.sizes = shape.sizes
        self.depth = len(shape.sizes) - 1
        # where each layer's weights and bias start in the flat parameter vector
        self.w_at: list[int] = [0]
        self.b_at: list[int] = [0]
        offset = 0
        for k in range(1, self.depth + 1):
            self.w_at.append(offset)
            offset += self.sizes[k] * self.sizes[k - 1]
            self.b_at.append(offset)
            offset += self._bias_count(k)
        self.count = offset

    def _bias_count(self, k: int) -> int:
        mode = self.shape.biases[k - 1]
        return self.sizes[k] if mode == "per_neuron" else 1 if mode == "shared" else 0

    def _w(self, k: int, j: int, i: int) -> str:
        return f"p{self.w_at[k] + j * self.sizes[k - 1] + i}"

    def layer_params(self, k: int) -> range:
        return range(self.w_at[k], self.b_at[k] + self._bias_count(k))

    def needs_output_fprime(self) -> bool:
        return not (
            self.shape.loss == "binary_cross_entropy" and self.shape.activations[-1] == "sigmoid"
        )

    def forward(self, k: int, with_fprime: bool) -> list[str]:
        act, deriv = _ACTIVATIONS[self.shape.activations[k - 1]]
        mode = self.shape.biases[k - 1]
        lines = []
        for j in range(self.sizes[k]):
            terms = [f"a{k - 1}_{i} * {self._w(k, j, i)}" for i in range(self.sizes[k - 1])]
            if mode == "per_neuron":
                terms.append(f"p{self.b_at[k] + j}")
            elif mode == "shared":
                terms.append(f"p{self.b_at[k]}")
            z, a = f"z{k}_{j}", f"a{k}_{j}"
            lines.append(f"{z} = {' + '.join(terms)}")
            lines.append(f"{a} = {act.format(z=z, a=a)}")
            if with_fprime:
                lines.append(f"f{k}_{j} = {(deriv or '1.0').format(z=z, a=a)}")
        return lines

    def backward(self, k: int, keep_gradient: bool) -> list[str]:
        """Deltas of layer k (and ∂L/∂a where kept or needed), then the gradients q of
        the parameters leading into it."""
        L, size, lines = self.depth, self.sizes[k], []
        linear = self.shape.activations[k - 1] == "linear"
        for j in range(size):
            g, d, f, o = f"g{k}_{j}", f"d{k}_{j}", f"f{k}_{j}", f"a{k}_{j}"
            if k == L:
                loss = self.shape.loss
                if loss == "half_sse":
                    gradient = f"{o} - t_{j}"
                elif loss == "mse":
                    gradient = f"({o} - t_{j}) * {2.0 / size!r}"
                else:  # binary cross-entropy, PyTorch's 1e-12 floor on o(1 − o)
                    m = f"{o} * (1.0 - {o})"
                    gradient = (
                        f"({o} - t_{j}) / ({m} if not {m} < 1e-12 else 1e-12) / {float(size)!r}"
                    )
                if loss == "binary_cross_entropy" and not self.needs_output_fprime():
                    if keep_gradient:
                        lines.append(f"{g} = {gradient}")
                    lines.append(f"{d} = ({o} - t_{j}) / {float(size)!r}")
                    continue
            else:
                gradient = " + ".join(
                    f"d{k + 1}_{n} * {self._w(k + 1, n, j)}" for n in range(self.sizes[k + 1])
                )
            lines.append(f"{g} = {gradient}")
            lines.append(f"{d} = {g}" if linear else f"{d} = {g} * {f}")
        for j in range(size):
            for i in range(self.sizes[k - 1]):
                lines.append(
                    f"q{self.w_at[k] + j * self.sizes[k - 1] + i} = d{k}_{j} * a{k - 1}_{i}"
                )
        mode = self.shape.biases[k - 1]
        if mode == "per_neuron":
            lines += [f"q{self.b_at[k] + j} = d{k}_{j}" for j in range(size)]
        elif mode == "shared":  # one bias feeds every neuron: the sum of their deltas
            lines.append(f"q{self.b_at[k]} = {' + '.join(f'd{k}_{j}' for j in range(size))}")
        return lines

    def sgd(self, n: int, decay: bool, mode: str) -> list[str]:
        """torch.optim.SGD on parameter n, as optimizers.SGD computes it: g = ∇ + λp;
        m = m·μ + g (g·(1 − dampening) when dampened); g + m·μ (Nesterov) or m;
        Δ = g·(−η); p + Δ. (The first step, which copies g into m, is not done here.)"""
        g = f"(q{n} + p{n} * wd)" if decay else f"q{n}"
        if mode == "none":
            return [f"p{n} = p{n} + {g} * nlr"]
        lines = [
            f"m{n} = m{n} * mom + {g} * keep" if mode == "dampened" else f"m{n} = m{n} * mom + {g}"
        ]
        step = f"({g} + m{n} * mom)" if mode == "nesterov" else f"m{n}"
        return [*lines, f"p{n} = p{n} + {step} * nlr"]

    def adam(self, n: int, decay: bool, small: bool) -> list[str]:
        """torch.optim.Adam (no AMSGrad) on parameter n, as optimizers.Adam computes it:
        m = lerp(m, g, w) (its two formulas: w = 1 − β₁ when small, else 1 − w is
        passed), v = v·β₂ + (g·(1 − β₂))·g, Δ = (m·(−η/(1 − β₁ᵗ))) / (√v / √(1 − β₂ᵗ) + eps)."""
        u = f"(q{n} + p{n} * wd)" if decay else f"q{n}"
        lerp = f"m{n} + (u - m{n}) * w" if small else f"u - (u - m{n}) * w"
        return [
            f"u = {u}",
            f"m{n} = {lerp}",
            f"v{n} = v{n} * b2 + u * c2 * u",
            f"p{n} = p{n} + m{n} * nss / (_sqrt(v{n}) / bs + eps)",
        ]

    def loop_head(self) -> list[str]:
        """The loop over a block's samples: the pass and the gradients q."""
        L = self.depth
        out = ["    for x, t in zip(X, T):", f"        {self.names('a', 0)} = x"]
        out += [f"        {self.targets()} = t"]
        for k in range(1, L + 1):
            fprime = k < L or self.needs_output_fprime()
            out += ["        " + line for line in self.forward(k, fprime)]
        out += [f"        O.extend({self.names('a', L)})"]
        for k in range(L, 0, -1):
            out += ["        " + line for line in self.backward(k, False)]
        return out

    def buffers(self, prefix: str = "m") -> str:
        return "[" + ", ".join(f"{prefix}{n}" for n in range(self.count)) + "]"

    def names(self, prefix: str, k: int) -> str:
        return "[" + ", ".join(f"{prefix}{k}_{j}" for j in range(self.sizes[k])) + "]"

    def params(self) -> str:
        return "[" + ", ".join(f"p{n}" for n in range(self.count)) + "]"

    def targets(self) -> str:
        return "[" + ", ".join(f"t_{j}" for j in range(self.sizes[-1])) + "]"

    def source(self) -> str:
        L, out = self.depth, []
        for k in range(1, L + 1):
            out += [f"def forward_{k}(P, x):", f"    {self.params()} = P"]
            out += [f"    {self.names('a', k - 1)} = x"]
            out += ["    " + line for line in self.forward(k, True)]
            out += [f"    return {self.names('z', k)}, {self.names('a', k)}, {self.names('f', k)}"]
            out += [f"def backward_{k}(P, x, z, a, f, after):", f"    {self.params()} = P"]
            out += [f"    {self.names('a', k - 1)} = x", f"    {self.names('z', k)} = z"]
            out += [f"    {self.names('a', k)} = a", f"    {self.names('f', k)} = f"]
            later = self.targets() if k == L else self.names("d", k + 1)
            out += [f"    {later} = after"]
            out += ["    " + line for line in self.backward(k, True)]
            grads = ", ".join(f"q{n}" for n in self.layer_params(k))
            out += [f"    return {self.names('g', k)}, {self.names('d', k)}, [{grads}]"]
        for decay, mode in itertools.product((False, True), MOMENTUM_MODES):
            name = f"block_{int(decay)}_{MOMENTUM_MODES.index(mode)}"
            out += [f"def {name}(P, M, X, T, nlr, wd, mom, keep, O):"]
            out += [f"    {self.params()} = P"]
            if mode != "none":
                out += [f"    {self.buffers()} = M"]
            out += self.loop_head()
            for n in range(self.count):
                out += ["        " + line for line in self.sgd(n, decay, mode)]
            buffers = self.buffers() if mode != "none" else "[]"
            out.append(f"    return {self.params()}, {buffers}")
        for decay, small in itertools.product((False, True), (False, True)):
            name = f"adam_{int(decay)}_{int(small)}"
            out += [f"def {name}(P, M, V, X, T, nlr, wd, b1, b2, w, c2, eps, st, O):"]
            out += [f"    {self.params()} = P", f"    {self.buffers()} = M"]
            out += [f"    {self.buffers('v')} = V"]
            out += self.loop_head()
            out += ["        st = st + 1.0", "        nss = nlr / (1 - b1 ** st)"]
            out += ["        bs = (1 - b2 ** st) ** 0.5"]
            for n in range(self.count):
                out += ["        " + line for line in self.adam(n, decay, small)]
            out.append(f"    return {self.params()}, {self.buffers()}, {self.buffers('v')}, st")
        return "\n".join(out) + "\n"


@dataclass
class Kernel:
    """The compiled functions for one shape (see the module docstring)."""

    shape: Shape
    source: str
    forward: list[Callable[..., Any]]  # forward[k](P, x) → z, a, f   (index 0 unused)
    backward: list[Callable[..., Any]]  # backward[k](P, x, z, a, f, t or next δ) → g, d, q
    layer_params: list[range]  # which flat parameters layer k's gradients q are
    #: (weight decay?, momentum mode) → block(P, M, X, T, −η, λ, μ, 1 − dampening, outputs)
    #: → (new P, new M): SGD steps, one sample each
    blocks: dict[tuple[bool, str], Callable[..., tuple[list[float], list[float]]]]

    #: (weight decay?, lerp's small-weight formula?) → adam(P, M, V, X, T, −η, λ, β₁, β₂,
    #: w, 1 − β₂, eps, step, outputs) → (new P, M, V, step): Adam steps, one sample each
    adam_blocks: dict[tuple[bool, bool], Callable[..., Any]]

    def sgd_block(self, decay: bool, mode: str) -> Callable[..., tuple[list[float], list[float]]]:
        return self.blocks[(decay, mode)]


_CACHE: dict[Shape, Kernel] = {}


def kernel_for(shape: Shape) -> Kernel | None:
    """The compiled scalar path for ``shape``, or None when it is not eligible."""
    if not eligible(shape):
        return None
    kernel = _CACHE.get(shape)
    if kernel is None:
        code = _Code(shape)
        source = code.source()
        names: dict[str, Any] = {
            "_e": math.exp,
            "_tanh": math.tanh,
            "_big_exp": _big_exp,
            "_sqrt": math.sqrt,
            "__builtins__": {"zip": zip},
        }
        exec(source, names)  # built from integers and fixed tables only
        depth = code.depth
        kernel = Kernel(
            shape=shape,
            source=source,
            forward=[names.get("forward_0")] + [names[f"forward_{k}"] for k in range(1, depth + 1)],
            backward=[names.get("backward_0")]
            + [names[f"backward_{k}"] for k in range(1, depth + 1)],
            layer_params=[range(0)] + [code.layer_params(k) for k in range(1, depth + 1)],
            adam_blocks={
                (decay, small): names[f"adam_{int(decay)}_{int(small)}"]
                for decay, small in itertools.product((False, True), (False, True))
            },
            blocks={
                (decay, mode): names[f"block_{int(decay)}_{MOMENTUM_MODES.index(mode)}"]
                for decay, mode in itertools.product((False, True), MOMENTUM_MODES)
            },
        )
        _CACHE[shape] = kernel
    return kernel

"""A feed-forward network and the maths of one pass, one layer at a time.

Layers are numbered as in the file: layer 0 is the input, layer L the output.
``weights[k-1]`` and ``biases[k-1]`` lead into layer k. A :class:`Trace` keeps every
number one pass computes (net inputs, activations, derivatives, deltas, gradients) so
the window can show them and the teacher can point at them.

Batches are rows: activations of layer k are (batch, size_k), and
z_k = a_{k−1} · W_{k−1}ᵀ + b_{k−1}, the file's zᵏ⁺¹ = Wᵏaᵏ + bᵏ for every row at once.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpsim.core.activations import Activation, get_activation
from bpsim.core.flat import ParameterLayout
from bpsim.core.losses import Loss, get_loss
from bpsim.core.scalar import MAX_PARAMETERS, Kernel, Shape, kernel_for
from bpsim.core.spec import LayerSpec, Parameters, default_labels

#: A step whose largest matrix product has at most this many multiply-adds runs BLAS on
#: one thread: splitting such small products costs more than it gains, and on a busy
#: machine a second BLAS thread stalls (one update of 42 µs took 222 µs median, 2.3 ms at
#: worst, with two threads on two shared cores).
BLAS_SINGLE_THREAD_WORK = 4_000_000


def forward_through(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[Activation | None],
    inputs: np.ndarray,
    last: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Net inputs z and activations a of layer ``last`` for the rows of ``inputs`` (layer 0:
    both are the inputs), leaving every trace alone. The one forward loop for whole-network
    outputs (validation, loss_on) and for the teaching back-ends that need a hidden layer
    (decision maps, loss landscapes), so their numbers are the engine's to the last bit.
    The caller sets NumPy's error state."""
    a = inputs
    z = a
    for k in range(1, last + 1):
        z = a @ weights[k - 1].T
        if biases[k - 1].size:
            z += biases[k - 1]
        act = activations[k]
        assert act is not None
        a = act.apply(z, np.empty_like(z))
    return z, a


class _BlasThreads:
    """The process's BLAS thread count, set by the engine so no user has to know
    OPENBLAS_NUM_THREADS: one thread for small networks, BLAS's own choice for large ones.
    The count is changed only when it has to be (a call costs ~6 µs)."""

    def __init__(self) -> None:
        self._libraries: list[Any] | None = None
        self._defaults: list[int] = []
        self._single: bool | None = None

    def _find(self) -> list[Any]:
        if self._libraries is None:
            try:
                from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

                found = ThreadpoolController().select(user_api="blas").lib_controllers
            except Exception:  # no threadpoolctl, or a BLAS it cannot drive
                found = []
            self._libraries = list(found)
            self._defaults = [lib.get_num_threads() for lib in self._libraries]
        return self._libraries

    def use_for(self, work: int) -> None:
        """Set the thread count for steps whose largest matrix product has ``work``
        multiply-adds."""
        single = work <= BLAS_SINGLE_THREAD_WORK
        if single is self._single:
            return
        for lib, default in zip(self._find(), self._defaults, strict=True):
            with contextlib.suppress(Exception):  # a BLAS that refuses keeps its setting
                lib.set_num_threads(1 if single else default)
        self._single = single


BLAS_THREADS = _BlasThreads()


def widest_layer_pair(sizes: list[int]) -> int:
    """The most weights between two layers: a step's largest matrix product is this
    many multiply-adds per sample (compare batch × this with BLAS_SINGLE_THREAD_WORK)."""
    return max((a * b for a, b in itertools.pairwise(sizes)), default=0)


@dataclass
class Trace:
    """Every value of one forward and backward pass over one batch.

    Lists are indexed by layer (0 = input); entries for layers not yet computed are stale
    and ``forward_done`` / ``backward_done`` say how far the pass has got.
    """

    indices: np.ndarray  # which samples (rows of the data set) form the batch
    z: list[np.ndarray]  # net inputs, (batch, size); z[0] unused
    a: list[np.ndarray]  # activations, (batch, size); a[0] = the inputs
    targets: np.ndarray
    fprime: list[np.ndarray]  # f'(z) per neuron, (batch, size): ∂out/∂net
    grad_a: list[np.ndarray]  # ∂L/∂a per neuron, (batch, size): ∂E/∂out
    delta: list[np.ndarray]  # ∂L/∂z per neuron and sample, (batch, size)
    flat_grads: np.ndarray  # every gradient in parameter order (W0, b0, W1, …): the batch mean
    weight_grads: list[np.ndarray]  # views of flat_grads shaped like the weights
    bias_grads: list[np.ndarray]  # views of flat_grads shaped like the biases
    sample_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    loss: float = float("nan")
    forward_done: int = 0  # how many layers after the input have z and a
    backward_done: int = 0  # how many layers, from the output back, have deltas and gradients

    @property
    def batch_size(self) -> int:
        return self.indices.shape[0]

    def gradient_arrays(self) -> list[np.ndarray]:
        """The gradients in parameter-array order W0, b0, W1, b1, …"""
        out: list[np.ndarray] = []
        for gw, gb in zip(self.weight_grads, self.bias_grads, strict=True):
            out += [gw, gb]
        return out


def copy_trace(trace: Trace) -> Trace:
    """A deep copy, for snapshots that must not change when training goes on."""
    flat = trace.flat_grads.copy()
    views = ParameterLayout([g.shape for g in trace.gradient_arrays()]).views(flat)
    return Trace(
        indices=trace.indices.copy(),
        z=[v.copy() for v in trace.z],
        a=[v.copy() for v in trace.a],
        targets=trace.targets.copy(),
        fprime=[v.copy() for v in trace.fprime],
        grad_a=[v.copy() for v in trace.grad_a],
        delta=[v.copy() for v in trace.delta],
        flat_grads=flat,
        weight_grads=views[0::2],
        bias_grads=views[1::2],
        sample_losses=trace.sample_losses.copy(),
        loss=trace.loss,
        forward_done=trace.forward_done,
        backward_done=trace.backward_done,
    )


class Network:
    """Structure and parameters of a network, and the pass maths over them.

    The parameter arrays are owned here and changed only by :meth:`set_parameters`,
    :meth:`set_value` and the trainer's update.
    """

    def __init__(self, layers: list[LayerSpec], parameters: Parameters, loss: str) -> None:
        self.layers = layers
        self.sizes = [layer.size for layer in layers]
        self.depth = len(layers) - 1  # number of layers with weights
        self.activations: list[Activation | None] = [None] + [
            get_activation(layer.activation) for layer in layers[1:]
        ]
        self.loss: Loss = get_loss(loss)
        self.labels = default_labels(layers)
        self.masks: list[np.ndarray | None] = [layer.mask for layer in layers[1:]]
        shapes: list[tuple[int, ...]] = []
        for prev, layer in itertools.pairwise(layers):
            shapes += [(layer.size, prev.size), (layer.bias_count(),)]
        self.layout = ParameterLayout(shapes)
        self.flat, self._arrays = self.layout.new()
        self.weights: list[np.ndarray] = self._arrays[0::2]
        self.biases: list[np.ndarray] = self._arrays[1::2]
        self.set_parameters(parameters)
        self._kernel: tuple[Loss | None, Kernel | None] = (None, None)
        self._tiny = self.layout.total <= MAX_PARAMETERS  # may take the scalar path

    def scalar_kernel(self) -> Kernel | None:
        """The straight-line scalar path, canonical for this network's one-sample passes
        (a tiny network without masks, see :mod:`bpsim.core.scalar`), else None."""
        loss, kernel = self._kernel
        if loss is not self.loss:
            kernel = None
            if all(mask is None for mask in self.masks):
                shape = Shape(
                    tuple(self.sizes),
                    tuple(act.name for act in self.activations if act is not None),
                    tuple(layer.bias for layer in self.layers[1:]),
                    self.loss.name,
                )
                kernel = kernel_for(shape)
            self._kernel = (self.loss, kernel)
        return kernel

    # -- parameters ------------------------------------------------------------------

    def set_parameters(self, parameters: Parameters) -> None:
        """Copy ``parameters`` in (the arrays keep their identity: views stay valid)."""
        given = parameters.arrays()
        if len(given) != len(self._arrays):
            raise ValueError(f"expected {len(self._arrays) // 2} weight matrices")
        for n, (target, source) in enumerate(zip(self._arrays, given, strict=True)):
            source = np.asarray(source, dtype=np.float64)
            if source.size != target.size or (source.size and source.shape != target.shape):
                raise ValueError(
                    f"parameter array {n}: expected shape {target.shape}, got {source.shape}"
                )
            np.copyto(target, source.reshape(target.shape))

    def parameters(self) -> Parameters:
        """A copy of the current weights and biases."""
        return Parameters([w.copy() for w in self.weights], [b.copy() for b in self.biases])

    def parameter_arrays(self) -> list[np.ndarray]:
        """The live arrays in the fixed order W0, b0, W1, b1, … (views of ``flat``)."""
        return self._arrays

    def trainable_flags(self) -> list[bool]:
        """Whether each array of :meth:`parameter_arrays` is trained (not frozen)."""
        flags: list[bool] = []
        for layer in self.layers[1:]:
            flags += [layer.train_weights, layer.train_bias and layer.bias != "none"]
        return flags

    def parameter_count(self) -> int:
        """How many numbers training can change (masked links not counted)."""
        total = 0
        for k, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            mask = self.masks[k]
            total += int(mask.sum()) if mask is not None else w.size
            total += b.size
        return total

    def weight_name(self, k: int, j: int, i: int) -> str:
        """The link from neuron i of layer k to neuron j of layer k+1, e.g. 'h1 → y1'."""
        return f"{self.labels[k][i]} → {self.labels[k + 1][j]}"

    def bias_name(self, k: int, j: int) -> str:
        """Bias j into layer k+1: 'b(y1)', or 'b(y)' for a shared bias."""
        layer = self.layers[k + 1]
        if layer.bias == "shared":
            return f"b({', '.join(self.labels[k + 1])})" if layer.size <= 3 else f"b(layer {k + 1})"
        return f"b({self.labels[k + 1][j]})"

    # -- the pass --------------------------------------------------------------------

    def new_trace(self, inputs: np.ndarray, targets: np.ndarray, indices: np.ndarray) -> Trace:
        """Buffers for a pass over one batch, with the inputs in place as a[0]."""
        n = inputs.shape[0]
        shapes = [(n, size) for size in self.sizes]
        flat, views = self.layout.new()
        return Trace(
            indices=indices,
            z=[np.zeros(s) for s in shapes],
            a=[np.array(inputs, dtype=np.float64)] + [np.zeros(s) for s in shapes[1:]],
            targets=np.array(targets, dtype=np.float64),
            fprime=[np.zeros(s) for s in shapes],
            grad_a=[np.zeros(s) for s in shapes],
            delta=[np.zeros(s) for s in shapes],
            flat_grads=flat,
            weight_grads=views[0::2],
            bias_grads=views[1::2],
        )

    def forward_layer(self, trace: Trace, k: int, lean: bool = False) -> None:
        """Forward into layer k: sets z[k] = a[k−1]·Wᵀ + b, a[k] = f(z[k]) and f'(z[k]).

        After the output layer it also sets the loss. ``lean`` (the trainer's Run loop,
        which computes the losses of a block of steps in one go with the same
        operations): no loss, and no output f'(z) when the loss's delta does not read it.
        Changes only ``trace``. One sample through a tiny network: the scalar path.
        """
        if self._tiny and trace.a[0].shape[0] == 1 and (kernel := self.scalar_kernel()):
            a = trace.a
            z_k, a_k, f_k = kernel.forward[k](self.flat.tolist(), a[k - 1][0].tolist())
            trace.z[k][0], a[k][0], trace.fprime[k][0] = z_k, a_k, f_k
            self._forward_done(trace, k, lean)
            return
        w, b = self.weights[k - 1], self.biases[k - 1]
        z = trace.z[k]
        np.matmul(trace.a[k - 1], w.T, out=z)
        if b.size:
            z += b  # a shared bias (one value) broadcasts to every neuron
        act = self.activations[k]
        assert act is not None
        act.apply(z, trace.a[k])
        if not lean or k != self.depth or self.loss.delta_needs_fprime(act):
            act.derivative(z, trace.a[k], trace.fprime[k])
        self._forward_done(trace, k, lean)

    def _forward_done(self, trace: Trace, k: int, lean: bool) -> None:
        trace.forward_done = k
        trace.backward_done = 0
        if k == self.depth and not lean:
            trace.sample_losses = self.loss.per_sample(trace.a[k], trace.targets, trace.z[k])
            trace.loss = float(np.add.reduce(trace.sample_losses)) / trace.batch_size

    def backward_layer(self, trace: Trace, k: int, lean: bool = False) -> None:
        """Backward through layer k: sets its deltas and the gradients of the weights and
        biases leading into it. Changes only ``trace``; no parameter changes.

        For the output layer, ∂L/∂a comes from the loss; for a hidden layer it is the
        deltas of layer k+1 sent back through the weights: ∂L/∂aₖ = δₖ₊₁ · Wₖ.

        ``lean`` (the trainer's Run loop): the gradients are left summed over the batch
        (the caller divides the whole flat vector by the batch size once, which rounds
        exactly as dividing array by array) and the output layer's ∂L/∂o is not kept
        where the loss computes its delta directly. The deltas and gradients are the same
        bits either way. One sample through a tiny network: the scalar path.
        """
        if self._tiny and trace.a[0].shape[0] == 1 and (kernel := self.scalar_kernel()):
            after = trace.targets if k == self.depth else trace.delta[k + 1]
            g, d, q = kernel.backward[k](
                self.flat.tolist(),
                trace.a[k - 1][0].tolist(),
                trace.z[k][0].tolist(),
                trace.a[k][0].tolist(),
                trace.fprime[k][0].tolist(),
                after[0].tolist(),
            )
            trace.grad_a[k][0], trace.delta[k][0] = g, d
            span = kernel.layer_params[k]
            trace.flat_grads[span.start : span.stop] = q
            trace.backward_done = self.depth - k + 1
            return
        act = self.activations[k]
        assert act is not None
        if k == self.depth:
            self.loss.output_delta(
                trace.a[k],
                trace.targets,
                trace.z[k],
                act,
                trace.fprime[k],
                trace.grad_a[k],
                trace.delta[k],
                keep_gradient=not lean,
            )
        else:
            np.matmul(trace.delta[k + 1], self.weights[k], out=trace.grad_a[k])
            act.backprop(trace.grad_a[k], trace.z[k], trace.a[k], trace.fprime[k], trace.delta[k])
        n = trace.batch_size
        delta = trace.delta[k]
        gw = trace.weight_grads[k - 1]
        divide = n != 1 and not lean
        if n == 1:
            # One sample: an outer product, the same bits as the matrix product (each
            # entry is one rounded product) at a fraction of BLAS's call cost.
            np.multiply(delta.T, trace.a[k - 1], out=gw)
        else:
            np.matmul(delta.T, trace.a[k - 1], out=gw)
        if divide:
            gw /= n  # the batch loss is the mean of the samples' losses
        mask = self.masks[k - 1]
        if mask is not None:
            gw *= mask
        mode = self.layers[k].bias
        if mode == "per_neuron":
            gb = np.add.reduce(delta, axis=0, out=trace.bias_grads[k - 1])
            if divide:
                gb /= n
        elif mode == "shared":
            # One bias feeds every neuron of the layer, so its gradient is their sum.
            total = float(np.add.reduce(delta, axis=None))
            trace.bias_grads[k - 1][0] = total / n if divide else total
        trace.backward_done = self.depth - k + 1

    def forward(self, trace: Trace) -> float:
        """The whole forward pass; returns the batch loss."""
        for k in range(1, self.depth + 1):
            self.forward_layer(trace, k)
        return trace.loss

    def backward(self, trace: Trace) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The whole backward pass; returns the weight and bias gradients."""
        for k in range(self.depth, 0, -1):
            self.backward_layer(trace, k)
        return trace.weight_grads, trace.bias_grads

    def outputs(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The output layer's net inputs z and activations a for some samples, leaving
        every trace alone (validation, decision maps, gradient checks)."""
        a = np.asarray(inputs, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return self._outputs(a)

    def _outputs(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return forward_through(self.weights, self.biases, self.activations, a, self.depth)

    def loss_on(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        """The mean loss over some samples."""
        z, a = self.outputs(inputs)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self.loss.mean(a, np.asarray(targets, dtype=np.float64), z)

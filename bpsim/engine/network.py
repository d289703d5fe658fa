"""A feed-forward network and the maths of one pass, one layer at a time.

Layers are numbered as in the file: layer 0 is the input, layer L the output.
``weights[k-1]`` and ``biases[k-1]`` lead into layer k. A :class:`Trace` keeps every
number one pass computes (net inputs, activations, derivatives, deltas, gradients) so
the window can show them and the teacher can point at them.

Batches are rows: activations of layer k are (batch, size_k), and
z_k = a_{k−1} · W_{k−1}ᵀ + b_{k−1}, the file's zᵏ⁺¹ = Wᵏaᵏ + bᵏ for every row at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bpsim.engine.activations import Activation, get_activation
from bpsim.engine.losses import Loss, get_loss
from bpsim.engine.spec import LayerSpec, Parameters, default_labels


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
    weight_grads: list[np.ndarray]  # shaped like the weights: mean over the batch
    bias_grads: list[np.ndarray]  # shaped like the biases
    sample_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    loss: float = float("nan")
    forward_done: int = 0  # how many layers after the input have z and a
    backward_done: int = 0  # how many layers, from the output back, have deltas and gradients

    @property
    def batch_size(self) -> int:
        return int(self.indices.shape[0])


def copy_trace(trace: Trace) -> Trace:
    """A deep copy, for snapshots that must not change when training goes on."""
    return Trace(
        indices=trace.indices.copy(),
        z=[v.copy() for v in trace.z],
        a=[v.copy() for v in trace.a],
        targets=trace.targets.copy(),
        fprime=[v.copy() for v in trace.fprime],
        grad_a=[v.copy() for v in trace.grad_a],
        delta=[v.copy() for v in trace.delta],
        weight_grads=[v.copy() for v in trace.weight_grads],
        bias_grads=[v.copy() for v in trace.bias_grads],
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
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.set_parameters(parameters)

    # -- parameters ------------------------------------------------------------------

    def set_parameters(self, parameters: Parameters) -> None:
        """Replace all weights and biases by copies of ``parameters``."""
        self.weights = [np.array(w, dtype=np.float64) for w in parameters.weights]
        self.biases = [np.array(b, dtype=np.float64) for b in parameters.biases]

    def parameters(self) -> Parameters:
        """A copy of the current weights and biases."""
        return Parameters([w.copy() for w in self.weights], [b.copy() for b in self.biases])

    def parameter_arrays(self) -> list[np.ndarray]:
        """The live arrays in the fixed order W0, b0, W1, b1, … (what the optimizer sees)."""
        out: list[np.ndarray] = []
        for w, b in zip(self.weights, self.biases, strict=True):
            out += [w, b]
        return out

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
        return Trace(
            indices=indices,
            z=[np.zeros(s) for s in shapes],
            a=[np.array(inputs, dtype=np.float64)] + [np.zeros(s) for s in shapes[1:]],
            targets=np.array(targets, dtype=np.float64),
            fprime=[np.zeros(s) for s in shapes],
            grad_a=[np.zeros(s) for s in shapes],
            delta=[np.zeros(s) for s in shapes],
            weight_grads=[np.zeros_like(w) for w in self.weights],
            bias_grads=[np.zeros_like(b) for b in self.biases],
        )

    def forward_layer(self, trace: Trace, k: int) -> None:
        """Forward into layer k: sets z[k] = a[k−1]·Wᵀ + b and a[k] = f(z[k]).

        After the output layer it also sets the loss. Changes only ``trace``.
        """
        w, b = self.weights[k - 1], self.biases[k - 1]
        z = trace.z[k]
        np.matmul(trace.a[k - 1], w.T, out=z)
        if b.size:
            z += b  # a shared bias (one value) broadcasts to every neuron
        act = self.activations[k]
        assert act is not None
        act.apply(z, trace.a[k])
        act.derivative(z, trace.a[k], trace.fprime[k])
        trace.forward_done = k
        trace.backward_done = 0
        if k == self.depth:
            trace.sample_losses = self.loss.per_sample(trace.a[k], trace.targets, z)
            trace.loss = float(trace.sample_losses.mean())

    def backward_layer(self, trace: Trace, k: int) -> None:
        """Backward through layer k: sets its deltas and the gradients of the weights and
        biases leading into it. Changes only ``trace``; no parameter changes.

        For the output layer, ∂L/∂a comes from the loss; for a hidden layer it is the
        deltas of layer k+1 sent back through the weights: ∂L/∂aₖ = δₖ₊₁ · Wₖ.
        """
        act = self.activations[k]
        assert act is not None
        if k == self.depth:
            self.loss.output_delta(
                trace.a[k], trace.targets, trace.z[k], act, trace.grad_a[k], trace.delta[k]
            )
        else:
            np.matmul(trace.delta[k + 1], self.weights[k], out=trace.grad_a[k])
            act.backprop(trace.grad_a[k], trace.z[k], trace.a[k], trace.delta[k])
        n = trace.batch_size
        delta = trace.delta[k]
        gw = trace.weight_grads[k - 1]
        np.matmul(delta.T, trace.a[k - 1], out=gw)
        gw /= n  # the batch loss is the mean of the samples' losses
        mask = self.masks[k - 1]
        if mask is not None:
            gw *= mask
        mode = self.layers[k].bias
        if mode == "per_neuron":
            np.divide(delta.sum(axis=0), n, out=trace.bias_grads[k - 1])
        elif mode == "shared":
            # One bias feeds every neuron of the layer, so its gradient is their sum.
            trace.bias_grads[k - 1][0] = delta.sum() / n
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
        z = a
        for k in range(1, self.depth + 1):
            z = a @ self.weights[k - 1].T
            if self.biases[k - 1].size:
                z += self.biases[k - 1]
            act = self.activations[k]
            assert act is not None
            a = act.apply(z, np.empty_like(z))
        return z, a

    def loss_on(self, inputs: np.ndarray, targets: np.ndarray) -> float:
        """The mean loss over some samples."""
        z, a = self.outputs(inputs)
        return self.loss.mean(a, np.asarray(targets, dtype=np.float64), z)

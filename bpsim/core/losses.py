"""Loss functions, each beside its derivative.

A loss compares the output layer's activations o with the targets t, one value per sample
(the batch loss is their mean). Going back it gives ∂L/∂o, the first factor of every chain
rule, and the output layer's delta ∂L/∂z. Where a loss has a natural output activation
(binary cross-entropy after sigmoid, cross-entropy after softmax) the delta is the famous
simplified o − t, computed directly: it is what the textbooks write, and it stays exact
when o saturates at 0 or 1.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from bpsim.core.activations import Activation

LOG_FLOOR = -100.0  # PyTorch's BCELoss clamps each log at −100 so a 0 never gives −∞


class Loss:
    """A loss L(o, t) per sample with its gradient ∂L/∂o."""

    name: ClassVar[str]
    formula: ClassVar[str]
    derivative_formula: ClassVar[str]
    natural_activation: ClassVar[str | None] = None

    def per_sample(self, o: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
        """L for each sample, shape (batch,). ``z`` is the output layer's net input.

        Row by row: a sample's loss has the same bits whatever else is in the batch, so
        the Run loop computes a block of steps' losses in one call."""
        raise NotImplementedError

    def gradient(self, o: np.ndarray, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        """∂L/∂o for each sample and output, written into ``out``."""
        raise NotImplementedError

    def output_delta(
        self,
        o: np.ndarray,
        t: np.ndarray,
        z: np.ndarray,
        activation: Activation,
        fprime: np.ndarray,
        grad_out: np.ndarray,
        out: np.ndarray,
        keep_gradient: bool = True,
    ) -> np.ndarray:
        """The output layer's delta ∂L/∂z = ∂L/∂o · ∂o/∂z; ∂L/∂o is left in ``grad_out``
        (unless ``keep_gradient`` is False and the delta does not need it: the Run loop
        skips what only the Inspector shows)."""
        self.gradient(o, t, grad_out)
        return activation.backprop(grad_out, z, o, fprime, out)

    def delta_needs_fprime(self, activation: Activation) -> bool:
        """Whether :meth:`output_delta` reads f'(z) after this activation (the Run loop
        skips computing it when not; the simplified deltas o − t do not)."""
        return True

    def mean(self, o: np.ndarray, t: np.ndarray, z: np.ndarray) -> float:
        """The batch loss: the mean of the samples' losses."""
        return float(np.add.reduce(self.per_sample(o, t, z))) / o.shape[0]


class HalfSSE(Loss):
    name = "half_sse"
    formula = "L = ½ Σₖ (tₖ − oₖ)²"
    derivative_formula = "∂L/∂oₖ = −(tₖ − oₖ) = oₖ − tₖ"

    def per_sample(self, o: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
        diff = t - o
        return 0.5 * np.einsum("bk,bk->b", diff, diff)

    def gradient(self, o: np.ndarray, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.subtract(o, t, out=out)


class MSE(Loss):
    name = "mse"
    formula = "L = (1/K) Σₖ (tₖ − oₖ)²"
    derivative_formula = "∂L/∂oₖ = (2/K)·(oₖ − tₖ)"

    def per_sample(self, o: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
        diff = t - o
        return np.einsum("bk,bk->b", diff, diff) / o.shape[1]

    def gradient(self, o: np.ndarray, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(o, t, out=out)
        out *= 2.0 / o.shape[1]
        return out


class BinaryCrossEntropy(Loss):
    name = "binary_cross_entropy"
    formula = "L = −(1/K) Σₖ [tₖ ln oₖ + (1 − tₖ) ln(1 − oₖ)]"
    derivative_formula = "∂L/∂oₖ = (1/K)·(oₖ − tₖ) / (oₖ(1 − oₖ)); with sigmoid: δₖ = (oₖ − tₖ)/K"
    natural_activation = "sigmoid"

    def delta_needs_fprime(self, activation: Activation) -> bool:
        return activation.name != "sigmoid"

    def per_sample(self, o: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_o = np.maximum(np.log(o), LOG_FLOOR)
            log_1mo = np.maximum(np.log1p(-o), LOG_FLOOR)
        return -(t * log_o + (1.0 - t) * log_1mo).sum(axis=1) / o.shape[1]

    def gradient(self, o: np.ndarray, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        # PyTorch keeps the denominator away from 0 with 1e-12.
        np.subtract(o, t, out=out)
        out /= np.maximum(o * (1.0 - o), 1e-12)
        out /= o.shape[1]
        return out

    def output_delta(
        self,
        o: np.ndarray,
        t: np.ndarray,
        z: np.ndarray,
        activation: Activation,
        fprime: np.ndarray,
        grad_out: np.ndarray,
        out: np.ndarray,
        keep_gradient: bool = True,
    ) -> np.ndarray:
        if keep_gradient or activation.name != "sigmoid":
            self.gradient(o, t, grad_out)
        if activation.name != "sigmoid":
            return activation.backprop(grad_out, z, o, fprime, out)
        np.subtract(o, t, out=out)
        out /= o.shape[1]
        return out


class CrossEntropy(Loss):
    name = "cross_entropy"
    formula = "L = −Σₖ tₖ ln oₖ"
    derivative_formula = (
        "∂L/∂oₖ = −tₖ/oₖ; with softmax: δₖ = oₖ·Σⱼtⱼ − tₖ (= oₖ − tₖ for one-hot t)"
    )
    natural_activation = "softmax"

    def delta_needs_fprime(self, activation: Activation) -> bool:
        return False

    def per_sample(self, o: np.ndarray, t: np.ndarray, z: np.ndarray) -> np.ndarray:
        if o.all():  # every probability positive: ln o directly (one pass)
            return -np.einsum("bk,bk->b", t, np.log(o))
        # A sample with a probability that rounded to 0: its ln softmax(z) from z by
        # log-sum-exp, as PyTorch's CrossEntropyLoss computes it, so the logarithm stays
        # finite. Decided sample by sample, so a sample's loss does not depend on the
        # others in its batch (and a block of batches gives the same bits).
        positive = o.all(axis=1)
        out = np.empty(o.shape[0])
        out[positive] = -np.einsum("bk,bk->b", t[positive], np.log(o[positive]))
        zeros = ~positive
        zr = z[zeros]
        shifted = zr - zr.max(axis=1, keepdims=True)
        log_o = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        out[zeros] = -np.einsum("bk,bk->b", t[zeros], log_o)
        return out

    def gradient(self, o: np.ndarray, t: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.divide(t, o, out=out)
        np.negative(out, out=out)
        if not o.all():  # 0/0 where an output is exactly 0: 0·ln 0 counts as 0
            out[t == 0.0] = 0.0
        return out

    def output_delta(
        self,
        o: np.ndarray,
        t: np.ndarray,
        z: np.ndarray,
        activation: Activation,
        fprime: np.ndarray,
        grad_out: np.ndarray,
        out: np.ndarray,
        keep_gradient: bool = True,
    ) -> np.ndarray:
        if keep_gradient:
            self.gradient(o, t, grad_out)
        np.multiply(o, np.add.reduce(t, axis=1, keepdims=True), out=out)
        out -= t
        return out


LOSS_CLASSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (HalfSSE, MSE, BinaryCrossEntropy, CrossEntropy)
}


def get_loss(name: str) -> Loss:
    """The loss called ``name`` (one of spec.LOSSES)."""
    return LOSS_CLASSES[name]()

"""Activation functions, each beside its derivative.

Every activation turns a layer's net inputs z into activations a = f(z) and, going back,
turns ∂L/∂a into the layer's delta ∂L/∂z. Element-wise activations do that with f'(z),
which the window also shows as the chain rule's middle factor ∂out/∂net; softmax couples
its neurons and multiplies by its Jacobian instead.

All functions take and return float64 arrays shaped (batch, neurons) and write into
``out`` so the trainer can reuse buffers.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

LEAKY_SLOPE = 0.01


class Activation:
    """An activation f with its derivative. Subclasses fill in the maths."""

    name: ClassVar[str]
    formula: ClassVar[str]  # f(z), readable
    derivative_formula: ClassVar[str]  # f'(z), readable
    elementwise: ClassVar[bool] = True

    def apply(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """a = f(z), written into ``out``."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """f'(z) element by element (∂a/∂z), written into ``out``. Needs z and a = f(z)."""
        raise NotImplementedError

    def backprop(
        self,
        grad_a: np.ndarray,
        z: np.ndarray,
        a: np.ndarray,
        fprime: np.ndarray,
        out: np.ndarray,
    ) -> np.ndarray:
        """delta = ∂L/∂z from ∂L/∂a: grad_a · f'(z) for element-wise activations, with
        f'(z) as :meth:`derivative` computed it during the forward pass."""
        return np.multiply(grad_a, fprime, out=out)

    def __call__(self, z: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return self.apply(z, np.empty_like(z))


class Sigmoid(Activation):
    name = "sigmoid"
    formula = "σ(z) = 1 / (1 + e⁻ᶻ)"
    derivative_formula = "σ'(z) = σ(z)·(1 − σ(z))"

    def apply(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        # e^-z overflows harmlessly to inf for very negative z (giving σ = 0): callers
        # run the engine under np.errstate(over="ignore") rather than paying for it here.
        np.negative(z, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)
        return out

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(1.0, a, out=out)
        out *= a
        return out


class Tanh(Activation):
    name = "tanh"
    formula = "tanh(z) = (eᶻ − e⁻ᶻ) / (eᶻ + e⁻ᶻ)"
    derivative_formula = "tanh'(z) = 1 − tanh²(z)"

    def apply(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(z, out=out)

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(a, a, out=out)
        np.subtract(1.0, out, out=out)
        return out


class Relu(Activation):
    name = "relu"
    formula = "relu(z) = max(0, z)"
    derivative_formula = "relu'(z) = 1 if z > 0 else 0"

    def apply(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0.0, out=out)

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        # PyTorch's convention: relu'(0) = 0.
        return np.greater(z, 0.0, out=out, casting="unsafe")


class LeakyRelu(Activation):
    name = "leaky_relu"
    formula = "leaky_relu(z) = z if z > 0 else 0.01·z"
    derivative_formula = "leaky_relu'(z) = 1 if z > 0 else 0.01"

    def apply(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(z, LEAKY_SLOPE, out=out)
        return np.maximum(z, out, out=out)

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        # PyTorch's convention: leaky_relu'(0) = 0.01.
        np.greater(z, 0.0, out=out, casting="unsafe")
        out *= 1.0 - LEAKY_SLOPE
        out += LEAKY_SLOPE
        return out


class Linear(Activation):
    name = "linear"
    formula = "f(z) = z"
    derivative_formula = "f'(z) = 1"

    def apply(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.copyto(out, z)
        return out

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        out.fill(1.0)
        return out

    def backprop(
        self,
        grad_a: np.ndarray,
        z: np.ndarray,
        a: np.ndarray,
        fprime: np.ndarray,
        out: np.ndarray,
    ) -> np.ndarray:
        np.copyto(out, grad_a)
        return out


class Softmax(Activation):
    """softmax couples a layer's neurons: ∂aᵢ/∂zⱼ = aᵢ(δᵢⱼ − aⱼ)."""

    name = "softmax"
    formula = "softmax(z)ᵢ = eᶻⁱ / Σⱼ eᶻʲ"
    derivative_formula = "∂aᵢ/∂zⱼ = aᵢ·(δᵢⱼ − aⱼ)"
    elementwise = False

    def apply(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        # Shift by the row maximum so large z cannot overflow; the result is unchanged.
        # (ufunc reductions directly: the methods' Python wrappers cost a µs a call)
        np.subtract(z, np.maximum.reduce(z, axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= np.add.reduce(out, axis=1, keepdims=True)
        return out

    def derivative(self, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The Jacobian's diagonal aᵢ(1 − aᵢ): what a neuron does to itself (for display)."""
        np.subtract(1.0, a, out=out)
        out *= a
        return out

    def backprop(
        self,
        grad_a: np.ndarray,
        z: np.ndarray,
        a: np.ndarray,
        fprime: np.ndarray,
        out: np.ndarray,
    ) -> np.ndarray:
        # delta_j = a_j · (g_j − Σ_i g_i a_i): the Jacobian-vector product without the matrix.
        weighted = np.einsum("bi,bi->b", grad_a, a)[:, None]
        np.subtract(grad_a, weighted, out=out)
        out *= a
        return out


ACTIVATION_CLASSES: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, Relu, LeakyRelu, Linear, Softmax)
}


def get_activation(name: str) -> Activation:
    """The activation called ``name`` (one of spec.ACTIVATIONS)."""
    return ACTIVATION_CLASSES[name]()

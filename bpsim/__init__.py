"""bpsim: a desktop simulator that teaches backpropagation and gradient descent."""

__version__ = "0.1.0"

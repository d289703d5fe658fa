"""The NumPy engine: networks, losses, optimizers and training phases. Never imports Qt."""

"""The Inspector: a neuron, weight or update written out with the engine's numbers."""

"""The network editor: the scene, its items, the pass animation."""

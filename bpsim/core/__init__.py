"""The backpropagation itself: NumPy and the standard library only, never Qt.

Read it in this order; each file is short and top to bottom:

1. ``spec.py``         what a lesson says: layers, loss, optimizer, data (plain dataclasses).
2. ``activations.py``  each activation f beside its derivative f'.
3. ``losses.py``       each loss L beside its derivative dL/do.
4. ``network.py``      ``forward_layer`` and ``backward_layer``: one layer's forward pass
                       (z = W·a + b, a' = f(z)) and backward pass (δ = dL/da' ⊙ f'(z),
                       dL/dW = δ·aᵀ), and the ``Trace`` that keeps every z, a and δ.
5. ``flat.py``         all parameters in one vector with a view per layer, so an optimizer
                       updates them in one go.
6. ``optimizers.py``   SGD, Adagrad, RMSprop, Adam and Adadelta, PyTorch's update rules.
7. ``trainer.py``      the phases ``forward`` / ``backward`` / ``update`` / ``step`` /
                       ``epoch``; batches, snapshots and divergence.

Then ``initializers.py`` (starting weights), ``history.py`` (the loss series),
``state.py`` (the saved training state, so a run resumes bit for bit) and
``gradcheck.py`` (backprop's gradients against finite differences) and ``rules.py``
(what fits in a lesson: each rule once, for the file reader, the edits and the window).
``scalar.py`` is the same maths for tiny networks, one sample at a time, written out as
straight-line float code (fast, and canonical for them in every mode); ``scalar_run.py``
runs Run blocks of plain SGD in it.
"""

"""Dialogs the user opens from a menu (Data ▸ New data set…, Import CSV…, Import MNIST…).

Each opens with ``open()`` (window-modal, never blocking a caller) and can be driven from
a test without clicking: set its fields, call ``apply()``, read ``problem_text()``.
"""

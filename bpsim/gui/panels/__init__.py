"""One dock, one home. A panel knows the session, the controller and the style, never the
window: ``network/`` (the editor), ``parameters/`` (the table), ``data/``, ``inspector/``,
``loss_plot``, ``quiz``, and the teaching views (``decision_map``, ``landscape``, …)."""

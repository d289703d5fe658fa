"""A lesson as a document, headless: open and save it (``files``), the built-in lessons
(``examples``), and edits of its structure and data (``structure``, ``dataset_edit``),
checked with the rules of what fits in ``bpsim.core.rules``. The command line and the
window both open lessons here.
"""

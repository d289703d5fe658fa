"""A lesson as a document, headless: open and save it (``files``), the built-in lessons
(``examples``), the rules of what fits (``rules``), and edits of its structure and data
(``structure``, ``dataset_edit``). The command line and the window both open lessons here.
"""

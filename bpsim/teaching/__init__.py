"""The headless half of every teaching tool: NumPy only, no Qt.

``text`` is the one way numbers are written and read; ``formulas`` is a step's formulas as
data (the Inspector, the quiz and the handouts all render it); ``explain`` and
``worked_example`` write a step out; ``timeline`` rewinds; ``compare``, ``landscape``,
``descent``, ``decision_map``, ``metrics`` and ``exports`` compute what their panels show;
``forward`` is the forward pass through the first layers that decision maps and landscapes
share.
"""

"""Writing pictures and handouts to files: plots as PNG/SVG/CSV, worked examples as handouts."""

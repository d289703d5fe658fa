"""The data panel: the data set as points, rows or digit pictures."""

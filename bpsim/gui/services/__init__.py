"""What the window does besides showing panels, each given a small ``Host``: opening and
saving documents, recovery autosaves, settings, presentation mode, help."""

"""The parameter table: its Qt model and its view."""

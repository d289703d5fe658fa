"""Small widgets of the main window that are not panels: training controls, the banner,
and ``controls`` (the buttons and check boxes the panels build)."""

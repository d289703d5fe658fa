"""Small widgets of the main window that are not panels: training controls, the banner."""

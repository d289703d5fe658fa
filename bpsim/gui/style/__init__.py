"""Every colour and size: themes, zoom, the drawing palette and the plots' style."""

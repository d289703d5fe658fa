"""The composition root: ``main_window`` builds the window, declares every menu in one
table and implements ``Host``; ``teaching_tools`` and ``data_tools`` add their docks."""

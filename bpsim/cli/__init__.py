"""The ``bpsim`` command line. Imports no Qt unless a command needs the window."""

"""``python -m bpsim``: the same as the ``bpsim`` command."""

import sys

from bpsim.cli.main import main

sys.exit(main())

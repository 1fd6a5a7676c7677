"""``python -m generator``: the ``reading-list`` command."""

import sys

from .commands.cli import main

sys.exit(main())

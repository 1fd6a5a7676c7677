"""``python -m tests.golden [--update]``: see tests/golden/__init__.py."""

import sys

from . import main

sys.exit(main())

"""``python -m export``: see export/cli.py."""

import sys

from .cli import main

sys.exit(main())

"""Entry point for `python -m relay_lib`."""

import sys

from relay_lib.cli import main

sys.exit(main())

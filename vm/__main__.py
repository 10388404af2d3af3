"""``python -m vm run PROGRAM [ARGS...]``: see ``vm.cli``."""

import sys

from .cli import main

sys.exit(main())

"""``python -m phibench``."""

import sys

from phibench.cli import main

sys.exit(main())

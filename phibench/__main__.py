"""``python -m phibench``."""

import sys

from phibench.cli import main

if __name__ == "__main__":  # a spawned render process imports no CLI
    sys.exit(main())

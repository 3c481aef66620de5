"""Entry point for `python -m training.vision`."""

import sys

from training.vision.cli import main

sys.exit(main())

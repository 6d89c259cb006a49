"""``python -m moodtalk`` (and ``torchrun -m moodtalk train ...``) runs the command line."""

import sys

from moodtalk.cli import main

sys.exit(main())

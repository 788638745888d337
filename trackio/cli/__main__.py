"""`python -m trackio.cli`."""

import sys

from trackio.cli import main

sys.exit(main())

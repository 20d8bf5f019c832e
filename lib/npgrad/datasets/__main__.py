"""`python -m npgrad.datasets fetch`; see npgrad.datasets.cli."""

import sys

from npgrad.datasets.cli import main

sys.exit(main())

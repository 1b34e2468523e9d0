"""``python -m benchmarks``: run the harness."""

import sys

from benchmarks.runner import main

sys.exit(main())

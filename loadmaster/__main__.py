import sys

from loadmaster.cli import main

sys.exit(main())

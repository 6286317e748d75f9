"""`python -m tests.fuzz --programs N --seed S`: see `tests/fuzz/cli.py`."""

import sys

from tests.fuzz.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""`python -m asl._cli`: the `asl` command."""

import sys

from asl._cli import main

sys.exit(main())

"""`python -m meshctl`: the same entry point as the `meshctl` script."""

import sys

from meshctl.cli import main

sys.exit(main())

"""`python -m meshctl`: the same entry point as the `meshctl` script."""

from meshctl.cli import run

run()

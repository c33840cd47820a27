"""Allows ``python -m server`` where the ``charta`` script is not on PATH."""

from server.cli import cli

cli()

"""``python -m dronewarn`` runs the command line."""

from dronewarn.cli import main

main()

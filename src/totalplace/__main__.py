"""``python -m totalplace``."""

from totalplace.cli import main

main()

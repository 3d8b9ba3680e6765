"""Reference data: places, regional public spending and council outturn.

The tables under ``reference/data/`` are derived from public data by the
scripts in ``scripts/`` and ship with the package, each with its source and
licence named beside it, so the project works without the source files.
"""

"""Livia's benchmarks: programs that measure, print a table and write bench/results/<name>.json.

Run them all with ``make bench`` (``python -m bench.run_all``) or one with
``python -m bench.<name>``, as root. docs/benchmarks.md has the figures.
"""

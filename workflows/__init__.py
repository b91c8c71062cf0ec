"""Guichet's workflow engine: permit packs, triage rules, fees and permit workflows.

Nothing in this package imports Flask: the same engine serves the web layer, the
command line, the benchmarks and the tests.
"""

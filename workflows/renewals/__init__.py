"""Renewing granted permits before (or after) they expire: reminders, the renewal and its fees.

Import the submodules: this package's models are part of the schema `workflows.models`
loads, so it imports nothing here.
"""

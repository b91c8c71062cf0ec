"""Accounts: entrepreneurs and staff, their passwords and API tokens. Free of Flask."""

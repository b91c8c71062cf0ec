"""Signing up, signing in and out, and the account page."""

from flask import Blueprint

account = Blueprint("account", __name__, url_prefix="/account")

from app.account import views  # noqa: E402, F401

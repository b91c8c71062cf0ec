"""The triage pages: choose a municipality, answer the questions, see every permit."""

from flask import Blueprint

triage = Blueprint("triage", __name__, url_prefix="/triage")

from app.triage import views  # noqa: E402, F401

"""GET /healthz: up only when the database answers."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import db_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        db_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok")

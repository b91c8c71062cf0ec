"""Serves the OpenAPI document, kept as YAML beside the code it describes."""

from functools import cache
from importlib import resources

import yaml
from flask import jsonify

from app.api import api


@cache
def openapi_document() -> dict:
    return yaml.safe_load((resources.files("app.api") / "openapi.yaml").read_text(encoding="utf-8"))


@api.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())

"""Guichet's web layer: pages for entrepreneurs and a JSON API, over the engine in `workflows`."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from app.auth import init_auth
from app.config import from_environment
from app.db import Database
from app.errors import init_errors
from app.i18n import init_i18n
from app.json_limits import init_json_limits
from app.outbox_worker import init_outbox_worker
from app.packs import EngineCache
from app.routing import init_routing
from app.security_headers import init_security_headers
from app.security_log import init_security_log
from licences import signing

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    init_routing(app)
    init_json_limits(app)
    app.config.from_mapping(from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    Database(app)
    signing.configure(
        signing.KeyRing.from_settings(app.config["LICENCE_SIGNING_KEY"], app.config["LICENCE_RETIRED_KEYS"])
    )
    csrf.init_app(app)
    init_i18n(app)
    init_errors(app)
    init_security_headers(app)
    init_security_log(app)
    init_auth(app)
    app.extensions["guichet.engine_cache"] = EngineCache()
    init_outbox_worker(app)  # development: sends emails from a thread (never under TESTING)

    from app import cli, health, pages
    from app.account import account
    from app.admin import admin
    from app.api import api
    from app.apply import apply
    from app.quality import quality
    from app.staff import staff
    from app.triage import triage
    from app.verify import verify

    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(account)
    app.register_blueprint(triage)
    app.register_blueprint(apply)
    app.register_blueprint(staff)
    app.register_blueprint(admin)
    app.register_blueprint(quality)
    app.register_blueprint(verify)
    app.register_blueprint(api)
    csrf.exempt(api)  # the API takes JSON from integrators, never a browser form
    cli.register(app)
    return app

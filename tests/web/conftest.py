"""Fixtures for tests through HTTP: a client that behaves like a browser, CSRF tokens included."""

import re

import pytest


def csrf_token(html: str) -> str:
    """The CSRF token a page carries, as a browser would send it back."""
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


@pytest.fixture
def browser(app):
    """A client with CSRF protection on: every form post must carry the page's token."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()

"""Headers that tell browsers to keep Guichet's pages to themselves, on every response.

The site runs no JavaScript and no inline style, so the Content-Security-Policy allows only
the site's own stylesheet and images: an injected `<script>` or `style=` would not run even
if escaping ever failed. No page may be framed (clickjacking), no type is sniffed, and over
HTTPS (the request's own scheme, or GUICHET_HTTPS) browsers are told to never come back over
plain HTTP. Dynamic answers carry people's
data, so no shared or browser cache may keep them; the static files may be cached.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
#: Two years, the figure browsers' HSTS preload lists ask for.
HSTS = "max-age=63072000; includeSubDomains"

ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def add_security_headers(response: Response) -> Response:
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if request.is_secure or current_app.config["PREFERRED_URL_SCHEME"] == "https":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if not request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)

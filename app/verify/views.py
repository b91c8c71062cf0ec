"""GET /verify/: anyone checks a licence number, with no account."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from app.db import db_session
from app.i18n import current_language
from app.verify import verify
from licences.numbering import normalized_number
from licences.verification import find_licence, verify_licence
from workflows.db import utcnow


@verify.get("/verify/")
def lookup():
    """A form to type the number printed on a licence; a number that cannot be one is said so."""
    typed = request.args.get("number")
    if typed is None:
        return render_template("verify/lookup.html", typed="", invalid=False)
    number = normalized_number(typed)
    if number is None:
        return render_template("verify/lookup.html", typed=typed, invalid=True), 422
    return redirect(url_for("verify.licence", number=number))


@verify.get("/verify/<number>")
def licence(number: str):
    session = db_session()
    found = find_licence(session, number)
    if found is None:
        return render_template("verify/lookup.html", typed=number, unknown=True, invalid=False), 404
    return render_template(
        "verify/licence.html", check=verify_licence(session, found, now=utcnow()), language=current_language()
    )

"""Account pages. Each state change (a new account, a sign-in) is one transaction.

A visitor who asked to apply before signing in finds their answers waiting afterwards.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from accounts.models import User
from accounts.service import AccountError, authenticate, change_password, create_account
from accounts.sessions import end_every_session, end_session, start_session
from app.account import account
from app.account.forms import PasswordChangeForm, SignInForm, SignUpForm
from app.apply.handover import has_pending, pending_kept
from app.apply.summaries import summaries
from app.auth import (
    limit_failed_signins,
    limiter,
    sign_in,
    sign_out,
    signed_in_sid,
    signin_failed,
    signin_limit,
)
from app.db import db_session, transaction
from app.i18n import current_language
from workflows.audit.signins import record_sessions_ended, record_sign_in
from workflows.db import utcnow


def _signed_in(user: User, sid: str):
    """Sign in, then go on to the application waiting to be made, if any, else to the account."""
    with pending_kept():
        sign_in(user, sid)
    if has_pending():
        return redirect(url_for("apply.start"))
    return redirect(_local(request.args.get("next")) or url_for("account.home"))


def _local(target: str | None) -> str | None:
    """The page sign-in was asked from, only if it is a path on this site (no open redirect).

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so
    "/<tab>/evil.example" would become "//evil.example": a target with any control
    character, space or backslash is refused, and what is left must name no scheme or host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(char.isspace() or char == "\\" or not char.isprintable() for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@account.route("/signup", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            with transaction() as session:
                user = create_account(
                    session,
                    email=form.email.data,
                    password=form.password.data,
                    name=form.name.data,
                    language=current_language(),  # the language they signed up in is the one we write in
                )
                sid = start_session(session, user, utcnow())
        except AccountError as error:
            _show_problems(form, error)
        else:
            return _signed_in(user, sid)
    return render_template("account/signup.html", form=form)


def _show_problems(form: FlaskForm, error: AccountError) -> None:
    """The accounts service's field errors, on the form's fields, in the page's language."""
    for problem in error.errors:
        form[problem.field].errors = [*form[problem.field].errors, problem.message.in_(current_language())]


@account.route("/signin", methods=["GET", "POST"])
@limiter.limit(signin_limit, methods=["POST"])
@limit_failed_signins
def sign_in_page():
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        with transaction() as session:  # a password hash may be upgraded on the way; failures are logged too
            user = authenticate(session, form.email.data, form.password.data)
            record_sign_in(session, form.email.data, user, through="web", client_address=request.remote_addr)
            sid = start_session(session, user, utcnow()) if user is not None else None
        if sid is not None:
            return _signed_in(user, sid)
        signin_failed()
        failed = True
    return render_template("account/signin.html", form=form, failed=failed)


@account.post("/signout")
def sign_out_page():
    """Sign out here, and end the session on the server so that no copy of the cookie lives on."""
    sid = signed_in_sid()
    if sid is not None:
        with transaction() as session:
            end_session(session, sid, utcnow())
    sign_out()
    return redirect(url_for("pages.home"))


@account.post("/signout-everywhere")
@login_required
def sign_out_everywhere():
    """End every session of this account, on every device, and revoke its API tokens: for the
    person who fears someone else is signed in as them."""
    with transaction() as session:
        user = session.get(User, current_user.user.id)
        ended = end_every_session(session, user, utcnow())
        record_sessions_ended(
            session, user, ended, because="signed_out_everywhere", client_address=request.remote_addr
        )
    sign_out()
    flash(_("You are signed out on every device, and your API tokens no longer work."), "session")
    return redirect(url_for("account.sign_in_page"))


@account.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(signin_limit, methods=["POST"])
def change_password_page():
    """A new password. The account's other sessions end and its API tokens stop working, so whoever
    knew the old password is out; this browser stays signed in."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            with transaction() as session:
                user = session.get(User, current_user.user.id)
                change_password(
                    session,
                    user,
                    current_password=form.current_password.data,
                    new_password=form.new_password.data,
                )
                ended = end_every_session(session, user, utcnow(), keep_sid=signed_in_sid())
                record_sessions_ended(
                    session, user, ended, because="password_changed", client_address=request.remote_addr
                )
        except AccountError as error:
            _show_problems(form, error)
        else:
            flash(
                _(
                    "Your password is changed. You are signed out on every other device, and your API "
                    "tokens no longer work."
                ),
                "session",
            )
            return redirect(url_for("account.home"))
    return render_template("account/password.html", form=form)


@account.get("/")
@login_required
def home():
    user = current_user.user
    return render_template(
        "account/home.html", user=user, applications=summaries(db_session(), user), title=_("Your account")
    )

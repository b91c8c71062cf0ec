"""Account pages. Each state change (a new account, a sign-in) is one transaction."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from accounts.service import AccountError, authenticate, create_account
from app.account import account
from app.account.forms import SignInForm, SignUpForm
from app.auth import limiter, sign_in, sign_out
from app.db import db_session, transaction
from app.i18n import current_language
from workflows.models import Application


def _signin_limit() -> str:
    return current_app.config.get("SIGNIN_RATE_LIMIT", "10 per minute")


@account.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            with transaction() as session:
                user = create_account(
                    session, email=form.email.data, password=form.password.data, name=form.name.data
                )
        except AccountError as error:
            for problem in error.errors:
                form[problem.field].errors = [
                    *form[problem.field].errors,
                    problem.message.in_(current_language()),
                ]
        else:
            sign_in(user)
            return redirect(url_for("account.home"))
    return render_template("account/signup.html", form=form)


@account.route("/signin", methods=["GET", "POST"])
@limiter.limit(_signin_limit, methods=["POST"])
def sign_in_page():
    form = SignInForm()
    failed = False
    if form.validate_on_submit():
        with transaction() as session:  # a password hash may be upgraded on the way
            user = authenticate(session, form.email.data, form.password.data)
        if user is not None:
            sign_in(user)
            return redirect(url_for("account.home"))
        failed = True
    return render_template("account/signin.html", form=form, failed=failed)


@account.post("/signout")
def sign_out_page():
    sign_out()
    return redirect(url_for("pages.home"))


@account.get("/")
@login_required
def home():
    user = current_user.user
    applications = db_session().scalars(
        select(Application).where(Application.owner_id == user.id).order_by(Application.created_at.desc())
    )
    return render_template(
        "account/home.html", user=user, applications=list(applications), title=_("Your account")
    )

"""Account forms. The rules (length, format, uniqueness) are the accounts service's; forms only collect."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[InputRequired()], render_kw={"autocomplete": "name"})
    email = EmailField(_l("Email address"), validators=[InputRequired()], render_kw={"autocomplete": "email"})
    password = PasswordField(
        _l("Password"),
        description=_l("At least 12 characters. A few unrelated words make a strong password."),
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Password again"),
        validators=[InputRequired(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[InputRequired()], render_kw={"autocomplete": "email"})
    password = PasswordField(
        _l("Password"), validators=[InputRequired()], render_kw={"autocomplete": "current-password"}
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a strong password."),
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

"""WTForms forms used by the views, one module per area; LoginForm lives here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from tracker.forms.errors import show_service_errors

NO_CONTROL_CHARACTERS = Regexp(r"^[^\x00-\x1f\x7f]*$", message="Control characters are not allowed.")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320), NO_CONTROL_CHARACTERS])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Sign in")


class ConfirmForm(FlaskForm):
    """A form with nothing but the CSRF token: delete buttons and the like."""


__all__ = ["ConfirmForm", "LoginForm", "show_service_errors"]

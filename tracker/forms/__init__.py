"""WTForms forms used by the views, one module per area; LoginForm lives here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from tracker.fields import EMAIL_MAX, check_line
from tracker.forms.errors import show_service_errors
from tracker.forms.register import Rule


class LoginForm(FlaskForm):
    # The one-line rule of tracker.fields (control characters, length), in its words.
    email = EmailField("Email", validators=[DataRequired(), Rule(check_line, EMAIL_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField("Sign in")


class ConfirmForm(FlaskForm):
    """A form with nothing but the CSRF token: delete buttons and the like."""


__all__ = ["ConfirmForm", "LoginForm", "show_service_errors"]

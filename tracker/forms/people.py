"""Forms for teams, users and one's own account."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import EqualTo, InputRequired, Length, Optional

from tracker.fields import TITLE_MAX, check_line, check_timezone
from tracker.forms.errors import as_choices
from tracker.forms.register import KEY_RULES, Rule, stripped

ROLE_CHOICES = [("viewer", "Viewer (reads everything)"), ("editor", "Editor (sources, events, obligations)"),
                ("admin", "Admin (everything, users and teams)")]


class TeamForm(FlaskForm):
    key = StringField("Key", **KEY_RULES)
    name = StringField("Name", filters=[stripped], validators=[InputRequired(), Rule(check_line, TITLE_MAX, True)])
    timezone = StringField("Time zone", filters=[stripped],
                           validators=[InputRequired(), Rule(check_timezone)],
                           description="IANA name, e.g. America/Los_Angeles or Europe/Berlin")
    submit = SubmitField("Save team")


class MemberForm(FlaskForm):
    user_id = SelectField("Person", coerce=int)
    role = SelectField("Role in this team", choices=as_choices([("", "their own role"), ("editor", "editor"),
                                                                ("viewer", "viewer")]), default="")
    submit = SubmitField("Add member")


class UserCreateForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired(), Length(max=320)])
    name = StringField("Name", filters=[stripped], validators=[Rule(check_line, TITLE_MAX)])
    role = SelectField("Role", choices=as_choices(ROLE_CHOICES))
    password = PasswordField("Password", validators=[Optional(), Length(min=8, max=1000)],
                             description="At least 8 characters; leave empty for email-only people")
    team_ids = SelectMultipleField("Teams", coerce=int)
    submit = SubmitField("Create user")


class UserEditForm(FlaskForm):
    name = StringField("Name", filters=[stripped], validators=[InputRequired(), Rule(check_line, TITLE_MAX, True)])
    role = SelectField("Role", choices=as_choices(ROLE_CHOICES))
    active = BooleanField("Active (may sign in and gets email)")
    team_ids = SelectMultipleField("Teams", coerce=int)
    submit = SubmitField("Save user")


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired(), Length(min=8, max=1000)])
    submit = SubmitField("Set password")


class ProfileForm(FlaskForm):
    name = StringField("Name", filters=[stripped], validators=[InputRequired(), Rule(check_line, TITLE_MAX, True)])
    submit = SubmitField("Save profile")


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Current password", validators=[InputRequired(), Length(max=1000)])
    new = PasswordField("New password", validators=[InputRequired(), Length(min=8, max=1000)])
    confirm = PasswordField("New password again",
                            validators=[InputRequired(), EqualTo("new", message="The two new passwords differ.")])
    submit = SubmitField("Change password")

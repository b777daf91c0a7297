"""The group mapping form (admins)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired

from tracker.fields import TITLE_MAX, check_line
from tracker.forms.errors import as_choices
from tracker.forms.people import ROLE_CHOICES
from tracker.forms.register import Rule, stripped


class GroupMappingForm(FlaskForm):
    group = StringField("Group at the identity provider", filters=[stripped],
                        validators=[InputRequired(), Rule(check_line, TITLE_MAX, True)],
                        description="Exactly as the provider sends it in the groups claim")
    role = SelectField("Role", choices=as_choices(ROLE_CHOICES))
    team_ids = SelectMultipleField("Teams", coerce=int)
    submit = SubmitField("Save mapping")

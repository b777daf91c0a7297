"""The watch form: what to watch (provider and item kind), the item, auto_apply; stages come as selects."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from tracker.forms.errors import as_choices
from tracker.watches.providers import ITEM_KINDS, NAMES
from tracker.watches.wording import provider_label

WHAT_CHOICES = [(f"{name}:{kind}", f"{provider_label(name)} {kind}") for name in NAMES for kind in ITEM_KINDS[name]]


class WatchForm(FlaskForm):
    what = SelectField("Watch", choices=as_choices(WHAT_CHOICES), validators=[InputRequired()])
    item = StringField("Item", validators=[InputRequired(), Length(max=200)])
    auto_apply = BooleanField("Apply what it observes without review (never for conflicts)")
    submit = SubmitField("Save watch")

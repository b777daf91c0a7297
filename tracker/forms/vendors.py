"""Forms for vendors, their contacts and an obligation's vendor scope."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from tracker.fields import (
    TITLE_MAX, check_category, check_country, check_jurisdiction, check_key, check_line, check_list,
    check_text, check_url, split_list,
)
from tracker.forms.errors import as_choices
from tracker.forms.register import KEY_RULES, Rule, optional_int, stripped, upper_code
from tracker.models.vendors import CONTACT_ROLES, VENDOR_STATUSES

LIST_HELP = "Separate several with commas or spaces"


class ListRule:
    """A validator for a list typed into one field: each item checked by one rule of tracker.fields."""

    def __init__(self, check, what: str) -> None:
        self.check, self.what = check, what

    def __call__(self, form, field) -> None:
        problem = check_list(split_list(field.data), self.check, self.what)
        if problem:
            raise ValidationError(problem[:1].upper() + problem[1:])


class VendorForm(FlaskForm):
    key = StringField("Key", **KEY_RULES, description="A stable identifier, e.g. acme-gpu")
    name = StringField("Name", filters=[stripped], validators=[InputRequired(), Rule(check_line, TITLE_MAX, True)])
    website = StringField("Website", filters=[stripped], validators=[Rule(check_url)],
                          description="An http:// or https:// address")
    country = StringField("Country", filters=[upper_code], validators=[Rule(check_country)],
                          description="Two-letter ISO code, e.g. US, TW")
    categories = StringField("Categories", validators=[Length(max=2000), ListRule(check_category, "categories")],
                             description="Tags such as gpu_hardware, ai_model_provider, cloud. " + LIST_HELP)
    markets = StringField("Markets", filters=[upper_code],
                          validators=[Length(max=2000), ListRule(check_jurisdiction, "markets")],
                          description="Jurisdictions where the vendor sells to us or for us, e.g. US, US-CA. "
                                      + LIST_HELP)
    status = SelectField("Status", choices=as_choices((s, s.capitalize()) for s in VENDOR_STATUSES), default="active")
    team_id = SelectField("Managing team", coerce=int)
    owner_id = SelectField("Owner", coerce=optional_int)
    notes = TextAreaField("Notes", validators=[Rule(check_text, 10000)])
    submit = SubmitField("Save vendor")


class ContactForm(FlaskForm):
    name = StringField("Contact name", filters=[stripped], validators=[Rule(check_line, TITLE_MAX)])
    email = StringField("Contact email", filters=[stripped], validators=[InputRequired(), Length(max=320)])
    role = SelectField("Role", choices=as_choices((r, r.capitalize()) for r in CONTACT_ROLES), default="primary")
    reminders_opt_out = BooleanField("No reminders (the request itself is still sent)")
    submit = SubmitField("Add contact")


SCOPE_MODES = [("criteria", "Categories and markets"), ("keys", "Named vendors")]


class ScopeForm(FlaskForm):
    mode = SelectField("Collect from", choices=as_choices(SCOPE_MODES), default="criteria")
    categories = StringField("Categories (a vendor must have all)",
                             validators=[Length(max=2000), ListRule(check_category, "categories")],
                             description="Leave empty for any category. " + LIST_HELP)
    markets = StringField("Markets (a vendor must sell in one)", filters=[upper_code],
                          validators=[Length(max=2000), ListRule(check_jurisdiction, "markets")],
                          description="Leave empty for any market. " + LIST_HELP)
    keys = StringField("Vendor keys", validators=[Length(max=5000), ListRule(check_key, "vendor keys")],
                       description="The vendors to ask, by key. " + LIST_HELP)
    submit = SubmitField("Save vendor scope")

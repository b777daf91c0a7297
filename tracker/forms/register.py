"""Forms for obligations, sources and events."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from tracker.fields import CITATION_MAX, TITLE_MAX, check_jurisdiction, check_key, check_line, check_text, check_url, line_value
from tracker.forms.errors import as_choices
from tracker.models.vocabulary import SOURCE_KIND_LABELS, STATUS_LABELS

PARTIAL_DATE_HELP = "YYYY-MM-DD, or YYYY-MM / YYYY-Qn / YYYY when only the month, quarter or year is known"
RULE_CHOICES = [("fixed", "Fixed date"), ("relative", "Relative to an event"), ("recurring", "Recurring"),
                ("earliest", "The earliest of several dates"), ("latest", "The latest of several dates (whichever is later)")]
ROLL_CHOICES = [("none", "Keep the day"), ("following", "Move to the next working day"),
                ("preceding", "Move to the previous working day")]
PART_CHOICES = [("", "— not used —"), ("fixed", "Fixed date"), ("relative", "Relative to an event")]
PARTS = 4  # part rows offered by the earliest/latest form (the API and packs take up to 20)
UNIT_CHOICES = [("days", "days"), ("business_days", "business days"), ("months", "months")]
EVENT_STATUS_CHOICES = [("occurred", "Occurred"), ("expected", "Expected (estimate)"),
                        ("speculative", "Speculative (no date yet)"), ("withdrawn", "Withdrawn")]
STATUS_CHOICES = list(STATUS_LABELS.items())


class Rule:
    """A validator that runs one rule of tracker.fields: the services' own check and words."""

    def __init__(self, check, *args) -> None:
        self.check, self.args = check, args

    def __call__(self, form, field) -> None:
        problem = self.check(field.data, *self.args)
        if problem:
            raise ValidationError(problem[:1].upper() + problem[1:])


def stripped(value):
    """Filter: one-line text as it is stored (the views and services strip it too)."""
    return line_value(value) if isinstance(value, str) else value


def upper_code(value):
    """Filter: a jurisdiction typed as 'us-ca' is stored as 'US-CA'."""
    return value.strip().upper() if isinstance(value, str) else value


KEY_RULES = dict(filters=[stripped], validators=[InputRequired(), Rule(check_key)])
TITLE_RULES = dict(filters=[stripped], validators=[InputRequired(), Rule(check_line, TITLE_MAX, True)])


def optional_int(value):
    """'' (nothing chosen) -> None; anything else must be an integer."""
    if value in (None, "", "None"):
        return None
    return int(value)


class DeadlinePartForm(Form):
    """One part of an earliest/latest rule: a fixed date or an offset from an event."""

    kind = SelectField("Part", choices=as_choices(PART_CHOICES), default="")
    date = StringField("Date", validators=[Length(max=20)], description="Fixed part: " + PARTIAL_DATE_HELP)
    anchor_event_id = SelectField("Counted from", coerce=optional_int)
    offset = IntegerField("Offset", default=0, validators=[Optional(), NumberRange(-3650, 3650)])
    unit = SelectField("Unit", choices=as_choices(UNIT_CHOICES), default="days")


from tracker.work.vocabulary import DEFAULT_PRIORITY, PRIORITIES, PRIORITY_LABELS  # noqa: E402


class ObligationForm(FlaskForm):
    key = StringField("Key", **KEY_RULES, description="A stable identifier, e.g. ca-vendor-cert")
    title = StringField("Title", **TITLE_RULES)
    description = TextAreaField("Description", validators=[Rule(check_text, 10000)])
    team_id = SelectField("Team", coerce=int)
    owner_id = SelectField("Owner", coerce=optional_int, description="A member of the obligation's team")
    priority = SelectField("Priority", choices=as_choices([(p, PRIORITY_LABELS[p]) for p in PRIORITIES]),
                           default=DEFAULT_PRIORITY)
    tags = StringField("Tags", validators=[Length(max=1000)],
                       description="Short labels separated by commas, e.g. export-control, board")
    rule = SelectField("Deadline rule", choices=as_choices(RULE_CHOICES), default="fixed")
    rule_date = StringField("Date", validators=[Length(max=20)], description=PARTIAL_DATE_HELP
                            + " (fixed rule; first due date of a recurring rule)")
    anchor_event_id = SelectField("Anchor event", coerce=optional_int,
                                  description="The event the deadline counts from (relative rule)")
    rule_offset = IntegerField("Offset", default=0, validators=[Optional(), NumberRange(-3650, 3650)],
                               description="Negative means before the event; the event's day is day 0")
    rule_unit = SelectField("Unit", choices=as_choices(UNIT_CHOICES), default="days")
    rule_calendar = StringField("Holiday calendar", validators=[Length(max=10)],
                                description="For business days, e.g. US, US-CA, DE; empty: the source's jurisdiction")
    rule_rrule = StringField("Recurrence", validators=[Length(max=200)],
                             description="RFC 5545 rule, e.g. FREQ=YEARLY or FREQ=MONTHLY;INTERVAL=3")
    parts = FieldList(FormField(DeadlinePartForm), min_entries=PARTS, max_entries=PARTS)
    rule_roll = SelectField("If the day is a weekend or holiday", choices=as_choices(ROLL_CHOICES), default="none",
                            description="Working days of the holiday calendar (above, else the source's jurisdiction)")
    event_ids = SelectMultipleField("Source events", coerce=int,
                                    description="The events this obligation comes from (provenance)")
    submit = SubmitField("Save obligation")


class StatusForm(FlaskForm):
    status = SelectField("New status", choices=as_choices(STATUS_CHOICES))
    note = TextAreaField("Note", validators=[Rule(check_text, 2000)],
                         description="Required when waiving: say why")
    submit = SubmitField("Change status")


class SourceForm(FlaskForm):
    key = StringField("Key", **KEY_RULES)
    title = StringField("Title", **TITLE_RULES)
    kind = SelectField("Kind", choices=as_choices(SOURCE_KIND_LABELS.items()))
    jurisdiction = StringField("Jurisdiction", filters=[upper_code],
                               validators=[InputRequired(), Rule(check_jurisdiction)],
                               description="US, US-CA, EU, DE ...")
    citation = StringField("Citation", filters=[stripped], validators=[Rule(check_line, CITATION_MAX)])
    url = StringField("Address (URL)", filters=[stripped], validators=[Rule(check_url)],
                      description="An http:// or https:// address")
    summary = TextAreaField("Summary", validators=[Rule(check_text, 10000)])
    submit = SubmitField("Save source")


class EventForm(FlaskForm):
    """Create an event (with its first status and date) or edit its words."""

    key = StringField("Key", **KEY_RULES)
    title = StringField("Title", **TITLE_RULES)
    description = TextAreaField("Description", validators=[Rule(check_text, 10000)])
    source_id = SelectField("Source", coerce=int)
    status = SelectField("Status", choices=as_choices(EVENT_STATUS_CHOICES))
    date = StringField("Date", validators=[Length(max=20)], description=PARTIAL_DATE_HELP)
    derived_from_event_id = SelectField("Date follows the event", coerce=optional_int,
                                        description="A derived event (\u201ctakes effect 90 days after enactment\u201d): "
                                                    "its date and certainty follow that event")
    derived_offset = IntegerField("Offset", default=0, validators=[Optional(), NumberRange(-3650, 3650)],
                                  description="Negative means before that event")
    derived_unit = SelectField("Unit", choices=as_choices(UNIT_CHOICES), default="days")
    derived_calendar = StringField("Holiday calendar", filters=[upper_code], validators=[Length(max=10)],
                                   description="For business days; empty: the source's jurisdiction")
    submit = SubmitField("Save event")


class EventChangeForm(FlaskForm):
    """What happened to an event: the first step of the preview -> confirm flow."""

    status = SelectField("What is now known", choices=as_choices(EVENT_STATUS_CHOICES))
    date = StringField("Date", validators=[Length(max=20)],
                       description="The date it happened, or the new estimate. " + PARTIAL_DATE_HELP)
    fingerprint = HiddenField()
    submit = SubmitField("Preview the change")


class ImportForm(FlaskForm):
    pack_text = TextAreaField("Or paste the pack (JSON)", validators=[Length(max=16 * 1024 * 1024)])
    submit = SubmitField("Import pack")

"""The new-campaign form: a name, a description and optional dates."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import Optional


class CampaignForm(FlaskForm):
    name = StringField("Name")
    description = TextAreaField("Description (optional)")
    starts_on = DateField("Starts on (optional)", validators=[Optional()],
                          invalid_value_message="Enter a date such as 2027-04-11.")
    ends_on = DateField("Ends on (optional)", validators=[Optional()],
                        invalid_value_message="Enter a date such as 2027-04-11.")

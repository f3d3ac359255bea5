"""Forms of the library pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField


class TemplateForm(FlaskForm):
    name = StringField("Name")
    text = TextAreaField("Text")


class DeleteForm(FlaskForm):
    pass


class ImportForm(FlaskForm):
    file = FileField("CSV file")

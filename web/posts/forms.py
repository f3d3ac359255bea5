"""The posts area's forms: compose (text, accounts, campaign, when, images), reschedule, and
the reason given when a post is sent back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from wtforms import SelectField, SelectMultipleField, TextAreaField

from web.common.forms import WhenFields


class ComposeForm(WhenFields, FlaskForm):
    text = TextAreaField("Post text")
    accounts = SelectMultipleField("Accounts", coerce=int, validate_choice=False)
    campaign = SelectField("Campaign (optional)", validate_choice=False)


#: Images one post can carry on any platform (Facebook and Instagram take 10).
MAX_IMAGES = 10
#: Empty image slots shown before the PIO asks for more.
SHOWN_IMAGE_SLOTS = 4


@dataclass
class ImageSlot:
    """One "add an image" slot of the compose form: a file (maybe) and its alt text."""

    file: FileStorage | None = None
    alt_text: str = ""
    error: str | None = None

    @property
    def has_file(self) -> bool:
        return self.file is not None and bool(self.file.filename)


def image_slots(files: Mapping[str, FileStorage], form: Mapping[str, str]) -> list[ImageSlot]:
    """The slots as sent (``image-N`` files, ``alt-N`` texts), in page order, empty ones too."""
    return [ImageSlot(file=files.get(f"image-{i}"), alt_text=form.get(f"alt-{i}", ""))
            for i in range(MAX_IMAGES)]


def kept_media_ids(form: Any) -> list[int]:
    """Images uploaded by an earlier try of this form (hidden ``media_ids``), minus the ones
    the PIO ticked to remove, in order and at most :data:`MAX_IMAGES`."""
    removed = set(form.getlist("remove_media"))
    ids: list[int] = []
    for raw in form.getlist("media_ids"):
        if raw.isdigit() and raw not in removed and int(raw) not in ids:
            ids.append(int(raw))
    return ids[:MAX_IMAGES]


class RescheduleForm(WhenFields, FlaskForm):
    pass


class RejectForm(FlaskForm):
    reason = TextAreaField("What needs to change?")

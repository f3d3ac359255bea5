"""The manual account form: platform, handle, and the credential fields each platform takes
(typed in from a developer portal, or to replace an account's credentials by hand)."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, URLField

from content_queue.accounts import CREDENTIAL_FORMS
from content_queue.platforms import RULES


class AccountForm(FlaskForm):
    platform = SelectField("Platform", choices=[(p, RULES[p].label) for p in CREDENTIAL_FORMS],
                           validate_choice=False)
    handle = StringField("Handle")
    display_name = StringField("Display name (optional)")
    api_base_url = URLField("API base URL (optional)")


def credential_fields(platform: str) -> list[str]:
    """Every credential key a platform accepts, in the order its forms list them."""
    keys: list[str] = []
    for form in CREDENTIAL_FORMS[platform]:
        keys.extend(k for k in form if k not in keys)
    return keys


def credential_hint(platform: str) -> str:
    forms = CREDENTIAL_FORMS[platform]
    if len(forms) == 1:
        return "All fields are required."
    options = [" + ".join(k.replace("_", " ") for k in form) for form in forms]
    return "Fill in one set: " + ", or ".join(options) + "."


SECRET_WORDS = ("token", "secret", "password")


def is_secret(key: str) -> bool:
    return any(word in key for word in SECRET_WORDS)


def credential_input_name(platform: str, key: str) -> str:
    return f"cred-{platform}-{key}"


def credential_sets(platforms=None) -> list[dict]:
    return [
        {"platform": p, "hint": credential_hint(p),
         "fields": [{"key": k, "name": credential_input_name(p, k), "secret": is_secret(k),
                     "label": k.replace("_", " ").capitalize()} for k in credential_fields(p)]}
        for p in (platforms or CREDENTIAL_FORMS)
    ]


def typed_credentials(platform: str) -> dict[str, str]:
    """The credential fields of ``platform`` the admin filled in (the manual forms)."""
    credentials = {}
    if platform in CREDENTIAL_FORMS:
        for key in credential_fields(platform):
            value = request.form.get(credential_input_name(platform, key), "").strip()
            if value:
                credentials[key] = value
    return credentials

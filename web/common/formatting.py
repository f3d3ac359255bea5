"""Template filters: times in the agency's zone, status words, shortened text, audit lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g
from flask_login import current_user

from content_queue.bidi import bidi_controls, has_bidi_controls, split_bidi  # issue 8
from content_queue.models import AuditEvent
from content_queue.platforms import RULES
from content_queue.timeutil import utc_to_local, zone
from web.common.state import now

STATUS_LABELS = {
    "draft": "draft",
    "awaiting_approval": "awaiting approval",
    "scheduled": "scheduled",
    "publishing": "publishing",
    "published": "published",
    "failed": "failed",
    "canceled": "canceled",
    "expired": "expired",
    "held": "held",
    "unconfirmed": "unconfirmed",
    "active": "active",
    "reconnect_needed": "reconnect needed",
    "disabled": "disabled",
}


def agency_timezone() -> str:
    """The logged-in user's agency zone (UTC before login)."""
    tz = g.get("_tenfour_tz")
    if tz is None:
        tz = current_user.model.agency.timezone if current_user.is_authenticated else "UTC"
        g._tenfour_tz = tz
    return tz


def zone_abbreviation(at: datetime | None = None) -> str:
    """``CST``/``CDT`` for the agency's zone at ``at`` (now when None)."""
    return utc_to_local(at or now(), agency_timezone()).strftime("%Z")


def localtime(value: datetime | None, style: str = "long") -> str:
    """``Thu, Nov 26 2026, 09:00 CST`` (24-hour clock, as dispatch floors read time)."""
    if value is None:
        return ""
    local = utc_to_local(value, agency_timezone())
    day = f"{local:%b} {local.day}"
    if style == "short":
        return f"{day}, {local:%H:%M %Z}"
    if style == "date":
        return f"{local:%a}, {day} {local:%Y}"
    return f"{local:%a}, {day} {local:%Y}, {local:%H:%M %Z}"


def utctime(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def shorten(text: str, width: int = 140) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def external_url(value: str | None) -> str:
    """Only http(s) links leave the app (a permalink is platform data, not ours)."""
    if value and urlsplit(value).scheme in ("http", "https"):
        return value
    return ""


def number(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def status_label(value: str) -> str:
    return STATUS_LABELS.get(value, value.replace("_", " "))


def platform_label(name: str) -> str:
    rules = RULES.get(name)
    return rules.label if rules else name


ACTIONS = {
    "post.created": "Created the post",
    "post.rescheduled": "Rescheduled the post",
    "target.awaiting_approval": "Submitted for approval",
    "target.scheduled": "Scheduled",
    "target.draft": "Sent back to draft",
    "target.publishing": "Started publishing",
    "target.published": "Published",
    "target.failed": "Publishing failed",
    "target.canceled": "Canceled",
    "target.expired": "Expired before approval",
    "target.held": "Held by an incident pause",
    "pause.created": "Paused outgoing posts",
    "pause.resumed": "Resumed outgoing posts",
    "target.unconfirmed": "Outcome unconfirmed",
    # issue 8 approvals
    "post.edited": "Edited the post",
    "review_link.created": "Made a review link",
    "review_link.approved": "Approved through a review link",
    "review_link.rejected": "Sent back through a review link",
    "review_link.revoked": "Revoked a review link",
}


def audit_action(event: AuditEvent) -> str:
    return ACTIONS.get(event.action, event.action.replace(".", " ").replace("_", " ").capitalize())


def audit_details(event: AuditEvent) -> list[tuple[str, str]]:
    """The details worth showing, as (label, text) pairs."""
    details: dict[str, Any] = event.details or {}
    out: list[tuple[str, str]] = []
    if "from" in details and "to" in details:
        out.append(("Change", f"{status_label(details['from'])} → {status_label(details['to'])}"))
    if details.get("reason"):
        out.append(("Reason", str(details["reason"]).replace("_", " ")))
    if details.get("error_code"):
        out.append(("Error", str(details["error_code"])))
    if details.get("scheduled_at"):
        try:
            when = datetime.fromisoformat(str(details["scheduled_at"]))
            out.append(("Time", localtime(when)))
        except ValueError:
            out.append(("Time", str(details["scheduled_at"])))
    if details.get("permalink"):
        out.append(("Link", str(details["permalink"])))
    if details.get("reviewer") or details.get("name"):  # issue 8 approvals: review links
        out.append(("Reviewer", str(details.get("reviewer") or details.get("name"))))
    return out


def has_bidi(text: str | None) -> bool:
    """issue 8 approvals: the text holds direction-changing characters (flag it)."""
    return has_bidi_controls(text)


def bidi_runs(text: str | None) -> list[tuple[bool, str]]:
    """issue 8 approvals: the text as written, each control character as its own run."""
    return split_bidi(text)


def bidi_list(text: str | None) -> list[tuple[int, str, str]]:
    return bidi_controls(text)


def init_app(app: Flask) -> None:
    app.add_template_filter(localtime)
    app.add_template_filter(utctime)
    app.add_template_filter(iso)
    app.add_template_filter(shorten)
    app.add_template_filter(status_label)
    app.add_template_filter(external_url)
    app.add_template_filter(number)
    app.add_template_filter(platform_label)
    app.add_template_filter(has_bidi)  # issue 8 approvals: bidi isolation and flag
    app.add_template_filter(bidi_runs)
    app.add_template_filter(bidi_list)
    app.add_template_global(agency_timezone)
    app.add_template_global(zone_abbreviation)
    app.add_template_global(audit_action)
    app.add_template_global(audit_details)
    zone("UTC")  # fail early if the tz database is missing

"""Community replies that arrive over time, and the control API that adds or deletes them.

Each post gets its own deterministic mix (a pure function of its id, as in
:mod:`simulator.engagement`): mostly warm thank-yous, some questions, some in Spanish, a few
with a phone number, and now and then one that reads like a request for help, so a demo wall
is alive and the emergency path shows without credentials. Tests steer replies exactly with
``POST /_sim/replies`` (a reply that has arrived now) and ``DELETE /_sim/replies/<id>`` (the
platform deleted it); both are forgotten on ``/_sim/reset``. Every platform serves them in
its own wire format through :func:`simulator.engagement.visible_replies`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, Response, has_app_context, jsonify, request

from simulator.context import sim_context, sim_state
from simulator.platform import ApiError

THANK_YOUS: tuple[tuple[str, str], ...] = (
    ("maria.g", "Thank you to the dispatcher who talked me through CPR on my dad last spring. He is here today because of you."),
    ("westside_neighbors", "Happy Telecommunicators Week to the calm voices on the other end of the line!"),
    ("coach_dan", "Our team toured the center last week. The kids still talk about the big screens and how calm everyone was."),
    ("j_okafor", "I called when my grandmother fell and the call taker stayed on the line until the medics arrived. Thank you."),
    ("lakeview_pta", "Sharing this with our families: if you can't call, you can text 911 in our county."),
    ("sam_rivera", "How do I apply? Is the dispatcher academy still open for the fall class?"),
    ("retired_medic_72", "Thirty years on the street and the dispatchers always had our backs. Proud of this team."),
    ("elena_p", "Didn't know you could give your location with what3words or a mile marker. Great tip."),
    ("mike_h", "Unsung heroes. Thank you for everything you do on the worst day of someone's life."),
    ("north_fire_dist", "Appreciate our partners at the 911 center, every single shift."),
    ("taylor_b", "Is this account monitored? Just want to make sure people know to call 911, not message here."),
    ("grace.chen", "My son practiced his address and calling 911 after your school visit. Thank you for coming."),
    ("deputy_ray", "Best team in the state. Thanks for always getting us there safe."),
    ("hannah_w", "The open house was wonderful, thank you for answering all our questions!"),
    ("old_town_council", "Proud to recognize our telecommunicators at tonight's council meeting."),
    ("chris_m", "Thank you for keeping me calm while I waited for help after the crash. You were amazing."),
    ("priya_s", "Great reminder about keeping the porch light on so crews can find your house at night."),
    ("neighbor_bill", "Bring back the coffee-with-a-dispatcher event, that was great!"),
)
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("dev_patel", "Are you hiring part-time call takers? Asking for my sister."),
    ("ms_okoro", "Will there be another open house this spring?"),
    ("parent_of_3", "Do you still do school visits? Our kindergarten would love one."),
    ("jordan_k", "What's the non-emergency number for reporting a downed stop sign?"),
    ("ana_l", "Can you post the Spanish version of the text-to-911 tips?"),
)
SPANISH: tuple[tuple[str, str], ...] = (
    ("rosa.m", "¡Gracias a todos los despachadores! Son unos héroes."),
    ("familia_garcia", "Gracias por ayudar a mi mamá cuando se cayó el año pasado. Nunca lo olvidaremos."),
    ("luis_h", "¿Cómo puedo aplicar para trabajar en el centro de despacho?"),
    ("carmen_v", "Excelente información. Lo compartiré con mi familia."),
)
WITH_PHONE: tuple[tuple[str, str], ...] = (
    ("volunteer_deb", "Call me at (312) 555-0199 if you need volunteers for the open house!"),
    ("frank_t", "My daughter wants to be a dispatcher, can someone call her at 555-201-3344? Thank you!"),
)
EMERGENCIES: tuple[tuple[str, str], ...] = (
    ("worried_in_unit4", "Please send an ambulance to 412 Birch Lane, my husband collapsed"),
    ("night_owl_77", "HELP someone is breaking in right now, I'm hiding upstairs"),
    ("m_hernandez", "¡Ayuda! Manden una ambulancia, mi papá no respira"),
)

#: (pool, weight) a reply slot is drawn from.
MIX = (("thanks", 0.56), ("questions", 0.14), ("spanish", 0.16), ("phone", 0.07),
       ("emergency", 0.07))


def _pools() -> dict[str, tuple[tuple[str, str], ...]]:
    return {"thanks": THANK_YOUS, "questions": QUESTIONS, "spanish": SPANISH,
            "phone": WITH_PHONE, "emergency": EMERGENCIES}


def _seed(post_id: str, salt: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{post_id}".encode()).digest()[:8], "big")


def base_schedule(post_id: str) -> list[tuple[float, tuple[str, str]]]:
    """When each of this post's own replies appears (seconds after posting), and what it says:
    the first within 5–30 minutes, later ones further apart."""
    rng = random.Random(_seed(post_id, "replies"))
    pools = _pools()
    count = rng.randint(2, 6)
    kinds = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]
    used: set[tuple[str, str]] = set()
    schedule: list[tuple[float, tuple[str, str]]] = []
    at = 0.0
    for index in range(count):
        kind = rng.choices(kinds, weights)[0]
        choices = [m for m in pools[kind] if m not in used] or [
            m for m in pools["thanks"] if m not in used]
        message = rng.choice(choices)
        used.add(message)
        at += rng.uniform(5 * 60, 30 * 60) * (1 + index)
        schedule.append((at, message))
    return schedule


@dataclass(frozen=True)
class Reply:
    id: str
    author: str
    text: str
    created_at: datetime


def _store() -> dict[str, Any] | None:
    """The added and deleted replies (None outside a request: only the pure schedule)."""
    if not has_app_context():
        return None
    data = sim_state().platform_data("_community_replies")
    data.setdefault("added", {})
    data.setdefault("deleted", set())
    return data


def visible(post_id: str, created_at: datetime, age_seconds: float) -> list[Reply]:
    """Replies that have arrived by ``age_seconds`` and were not deleted, oldest first."""
    found: list[tuple[float, Reply]] = []
    for index, (offset, (author, text)) in enumerate(base_schedule(post_id)):
        if offset <= age_seconds:
            found.append((offset, Reply(f"{post_id}{index + 1:02d}", author, text,
                                        created_at + timedelta(seconds=offset))))
    store = _store()
    if store is not None:
        state = sim_state()
        with state.lock:
            added = list(store["added"].get(post_id, ()))
            deleted = set(store["deleted"])
        for item in added:
            if item["offset"] <= age_seconds:
                found.append((item["offset"], Reply(item["id"], item["author"], item["text"],
                                                    created_at + timedelta(seconds=item["offset"]))))
        found = [pair for pair in found if pair[1].id not in deleted]
    return [reply for _, reply in sorted(found, key=lambda pair: pair[0])]


def count_visible(post_id: str, age_seconds: float) -> int:
    return len(visible(post_id, datetime(2000, 1, 1), age_seconds))


# --- the control API -------------------------------------------------------------------------

bp = Blueprint("sim_replies", __name__, url_prefix="/_sim")


@bp.post("/replies")
def add_reply() -> tuple[Response, int]:
    """``{"platform", "post_id", "text", "author"?}``: a reply that has arrived just now."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "Send a JSON object.")
    platform, post_id = body.get("platform"), body.get("post_id")
    if platform not in sim_context().platforms:
        known = ", ".join(sorted(sim_context().platforms))
        raise ApiError(400, "unknown_platform", f"platform must be one of: {known}.")
    text, author = body.get("text"), body.get("author", "community_member")
    if not isinstance(text, str) or not text.strip() or not isinstance(author, str) or not author:
        raise ApiError(400, "invalid_request", "text and author must be non-empty strings.")
    state = sim_state()
    post = state.get_post(platform, str(post_id))
    if post is None:
        raise ApiError(404, "not_found", f"No {platform} post {post_id}.")
    store = _store()
    reply_id = state.new_id()
    offset = state.age_seconds(post)
    with state.lock:
        store["added"].setdefault(post.id, []).append(
            {"id": reply_id, "author": author, "text": text, "offset": offset})
    return jsonify({"reply": {"id": reply_id, "post_id": post.id, "author": author,
                              "text": text,
                              "created_at": (post.created_at + timedelta(seconds=offset))
                              .isoformat()}}), 201


@bp.delete("/replies/<reply_id>")
def delete_reply(reply_id: str) -> Response:
    """The platform deleted this reply (the author did, or a moderator): it is no longer served."""
    store = _store()
    with sim_state().lock:
        store["deleted"].add(reply_id)
    return jsonify({"ok": True})

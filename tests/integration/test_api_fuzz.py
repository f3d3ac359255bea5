"""Bad input is a 4xx, never a 500: a property-based fuzz of every route under ``/api/v1``.

The routes come from the app's own ``url_map``, so a route added later is fuzzed without
touching this file. Each route gets random JSON bodies (the fields the API reads, plus unknown
ones), query strings and path ids, salted with the values that once answered 500 (``"²"``,
integers past 2⁶³, a lone surrogate, times in the years 1 and 9999, deep nesting), sent with a
valid admin token through the Flask test client to a real database. Any 5xx (or an exception,
which the testing app lets through) fails the test, and hypothesis shrinks it to the smallest
input that does it.

Bounded and derandomized, so CI sees the same examples on every run.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from tests.settings import make_test_settings
from web import create_app

#: Hostile, schema-blind input per route and backend. Schema-guided input (valid and invalid
#: by the OpenAPI document) is schemathesis' part, in test_openapi.py; together they cover
#: each route from both sides, so 25 each keeps the suite inside its time on two cores.
EXAMPLES_PER_ROUTE = 25
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    converters: tuple[tuple[str, str], ...]  # (argument, converter class name)

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"


def api_routes() -> list[Route]:
    """Every (route, method) under /api/v1, read from an app built only for this."""
    with tempfile.TemporaryDirectory() as directory:
        app = create_app(make_test_settings(f"sqlite:///{directory}/routes.db",
                                            Path(directory) / "instance"))
        routes = []
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/api/v1"):
                continue
            converters = tuple((name, type(conv).__name__)
                               for name, conv in rule._converters.items())
            for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
                routes.append(Route(rule.rule, method, converters))
        app.extensions["tenfour"].db.engine.dispose()
    return sorted(routes, key=str)


ROUTES = api_routes()

# --- the inputs ------------------------------------------------------------------------------

NASTY_INTS = [0, 1, 2, 3, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**64,
              10**20, -(2**63) - 1]
NASTY_STRINGS = ["", " ", "²", "٣", "1e20", "99999999999999999999", "9223372036854775808",
                 "-1", "0", "1", "NaN", "null", "\ud800", "a\udfffb", "\x00", "‮", "<script>",
                 "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00",
                 "9999-12-31", "0001-01-01", "2027-02-30", "2027-04-11T09:00:00",
                 "2027-04-11T09:00:00Z", "x" * 70_000, "publish_now", "shift", "review",
                 "sandbox", "x", "mastodon", "https://example.org/@metro911/1"]
FORM_ALPHABET = st.characters(blacklist_categories=["Cs"])
FORM_STRINGS = [v for v in NASTY_STRINGS if not any("\ud800" <= c <= "\udfff" for c in v)]
FIELDS = ["text", "account_ids", "media_ids", "campaign_id", "scheduled_at", "submit", "reason",
          "name", "description", "starts_on", "ends_on", "platform", "handle", "credentials",
          "display_name", "api_base_url", "url", "held", "resume_at", "account_id", "alt_text",
          "status", "id", "ids", "read", "until", "kind", "email", "role"]
QUERY_NAMES = ["page", "per_page", "status", "account_id", "campaign_id", "unread", "since",
               "limit", "before", "after"]


def _times() -> st.SearchStrategy[str]:
    soon = datetime.now(timezone.utc) + timedelta(hours=2)
    return st.one_of(
        st.just(soon.isoformat()),
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31),
                     timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.sampled_from(NASTY_STRINGS[17:23]),
    )


SCALARS = st.one_of(
    st.none(), st.booleans(), st.sampled_from(NASTY_INTS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(NASTY_STRINGS), st.text(max_size=40), _times(),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8),
                                                 inner, max_size=4)), max_leaves=12)
IDS = st.one_of(st.sampled_from(NASTY_INTS), st.integers(min_value=-5, max_value=10))
BODIES = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), VALUES, max_size=7)
RAW_BODIES = st.one_of(
    st.binary(max_size=64), st.just(b"[" * 100_000 + b"]" * 100_000),
    st.just(b'{"text": ' + b"[" * 50 + b"]" * 50 + b"}"), st.just(b'{"text": "\\ud800"}'),
    st.just(b"\xff\xfe{}"), st.just(b"NaN"), st.just(b'{"a": Infinity}'),
)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _quote(value: str) -> str:
    """Percent-encoded as a client would send it (a lone surrogate as its UTF-8-ish bytes)."""
    return quote(value, safe="", errors="surrogatepass")


@st.composite
def requests(draw, route: Route, known: dict[str, list[int]]):
    """A path (its ids real, absent, negative or past 64 bits), a query and a body."""
    path = route.rule
    for name, converter in route.converters:
        if converter.endswith("IntegerConverter"):
            pool = known.get(name, [])
            value = str(draw(st.sampled_from(pool) if pool and draw(st.booleans()) else IDS))
            value = value.lstrip("-") or "0"  # the int converter only matches digits
        else:
            value = draw(st.sampled_from(NASTY_STRINGS[:12]) | st.text(min_size=1, max_size=12))
        segment = _quote(value) or "0"
        path = re.sub(rf"<(?:[^<>:]+:)?{name}>", lambda _m: segment, path, count=1)
    pairs = draw(st.dictionaries(st.sampled_from(QUERY_NAMES) | st.text(max_size=6),
                                 st.sampled_from(NASTY_STRINGS[:20]) | st.text(max_size=12)
                                 | st.integers().map(str), max_size=3))
    query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs.items())
    kind = draw(st.sampled_from(["json", "json", "json", "raw", "form", "none"]))
    if kind == "json":
        body = draw(BODIES)
        if draw(st.booleans()) and "account_ids" not in body and known["account_ids"]:
            body["account_ids"] = [draw(st.sampled_from(known["account_ids"]))]
        if draw(st.booleans()):
            body.setdefault("text", draw(SCALARS))
            body.setdefault("scheduled_at", draw(_times()))
        return path, query, {"data": json.dumps(body), "content_type": "application/json"}
    if kind == "raw":
        return path, query, {"data": draw(RAW_BODIES), "content_type": "application/json"}
    if kind == "form":  # a form field is sent as UTF-8, which cannot carry a lone surrogate
        data = {name: draw(st.sampled_from(FORM_STRINGS) | st.text(FORM_ALPHABET, max_size=10))
                for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3))}
        if draw(st.booleans()):
            content = _png() if draw(st.booleans()) else draw(st.binary(max_size=64))
            data["file"] = (io.BytesIO(content), draw(st.sampled_from(["a.png", "", "../x"])))
        return path, query, {"data": data, "content_type": "multipart/form-data"}
    return path, query, {}


# --- the world the requests land in ------------------------------------------------------------


@pytest.fixture
def fuzz_world(client, factory):
    """An admin's token and real rows (accounts, a post, a campaign, an image), so a request
    reaches the code behind a found row and not only the 404s."""
    admin = factory.user("admin")
    headers = {"Authorization": f"Bearer {factory.token(admin)}"}
    accounts = [factory.account("sandbox").id, factory.account("sandbox").id]
    soon = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    post = client.post("/api/v1/posts", headers=headers, json={
        "text": "Test your smoke alarm.", "account_ids": accounts, "scheduled_at": soon})
    assert post.status_code == 201, post.get_data(as_text=True)
    campaign = client.post("/api/v1/campaigns", headers=headers, json={"name": "Safety week"})
    image = client.post("/api/v1/media", headers=headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(_png()), "a.png"), "alt_text": "A red square"})
    known = {
        "account_ids": accounts,
        "post_id": [post.get_json()["id"]],
        "target_id": [t["id"] for t in post.get_json()["targets"]],
        "campaign_id": [campaign.get_json()["id"]] if campaign.status_code == 201 else [],
        "media_id": [image.get_json()["id"]] if image.status_code == 201 else [],
    }
    return headers, known


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_no_api_route_answers_5xx_to_any_input(client, fuzz_world, route):
    headers, known = fuzz_world

    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(data=st.data())
    def fuzz(data):
        path, query, body = data.draw(requests(route, known))
        response = client.open(path, method=route.method, query_string=query,
                               headers=headers, **body)
        assert response.status_code < 500, (
            f"{route.method} {path}?{query} {str(body.get('data'))[:300]!r} answered "
            f"{response.status_code}: {response.get_data(as_text=True)[:300]}")

    fuzz()


def test_every_api_route_is_fuzzed():
    """The enumeration found the API (so a broken url_map cannot make the fuzz pass vacuously)."""
    rules = {r.rule for r in ROUTES}
    assert {"/api/v1/posts", "/api/v1/posts/<int:post_id>", "/api/v1/media"} <= rules

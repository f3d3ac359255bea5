from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import requests

from connectors.facebook import FacebookConnector
from content_queue.ports import AuthorizeStart
from tests.integration.harnesses.base import Harness

PAGE_ID = "104000000000001"  # the simulator's demo Page "Metro 911 Communications" (@metro911)


def make_connector(sim_url: str, token: str = "contract-page-token") -> FacebookConnector:
    return FacebookConnector(handle="metro911",
                             credentials={"page_id": PAGE_ID, "page_access_token": token},
                             api_base_url=f"{sim_url}/graph")


class _ConsentForm(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields = "", {}

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action", "")
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


def authorize_like_a_browser(sim_url: str, start: AuthorizeStart, redirect_uri: str,
                             decision: str = "continue") -> dict[str, str]:
    """Open the Login dialog, press Continue (or Cancel), and return the redirect's query."""
    page = requests.get(start.url, timeout=5)
    assert page.status_code == 200 and "Metro 911 Communications" in page.text
    form = _ConsentForm()
    form.feed(page.text)
    answer = requests.post(sim_url + form.action, data={**form.fields, "decision": decision},
                           allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303)
    location = answer.headers["Location"]
    assert location.startswith(redirect_uri)
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def _alt_texts(sim, result) -> list[str]:
    post = next(p for p in sim.posts("facebook") if p["id"] == result.platform_post_id)
    return [m["alt_text"] for m in post["media"]]


HARNESS = Harness(
    platform="facebook",
    make_connector=make_connector,
    post_path="/feed",
    too_long_text="a" * 63207,
    stored_alt_texts=_alt_texts,
    notes={"rate_limit": "Graph states the wait in whole minutes; a sub-minute wait reads as 0 and "
                         "the connector then uses Retry-After (sent by the simulator, not by Graph)."},
)

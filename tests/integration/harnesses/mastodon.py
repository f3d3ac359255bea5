from __future__ import annotations

from connectors.mastodon import MastodonConnector
from tests.integration.harnesses.base import Harness


def make_connector(sim_url: str, *, instance: str | None = None, token: str = "contract-token") -> MastodonConnector:
    """A connector for the demo account on the simulator's default instance (or ``instance``)."""
    base = f"{sim_url}/mastodon" + (f"/{instance}" if instance else "")
    return MastodonConnector(handle="metro911@mastodon.example",
                             credentials={"instance_url": "https://mastodon.example", "access_token": token},
                             api_base_url=base)


def _alt_texts(sim, result) -> list[str]:
    post = next(p for p in sim.posts("mastodon") if p["id"] == result.platform_post_id)
    return [m["alt_text"] for m in post["media"]]


HARNESS = Harness(
    platform="mastodon",
    make_connector=make_connector,
    post_path="/api/v1/statuses",
    too_long_text="a" * 501,
    stored_alt_texts=_alt_texts,
)

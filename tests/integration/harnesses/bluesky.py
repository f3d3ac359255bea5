from __future__ import annotations

from connectors.bluesky import BlueskyConnector
from tests.integration.harnesses.base import Harness


def make_connector(sim_url: str, *, identifier: str = "metro911.bsky.social",
                   app_password: str = "abcd-efgh-ijkl-mnop") -> BlueskyConnector:
    """A connector whose PDS is the simulator (which also serves the bsky.app-style permalinks)."""
    return BlueskyConnector(handle=identifier, credentials={"identifier": identifier, "app_password": app_password},
                            api_base_url=f"{sim_url}/bluesky")


def _alt_texts(sim, result) -> list[str]:
    rkey = result.platform_post_id.rsplit("/", 1)[-1]
    post = next(p for p in sim.posts("bluesky") if p["id"] == rkey)
    return [m["alt_text"] for m in post["media"]]


HARNESS = Harness(
    platform="bluesky",
    make_connector=make_connector,
    post_path="com.atproto.repo.createRecord",
    too_long_text="a" * 301,
    stored_alt_texts=_alt_texts,
)

from __future__ import annotations

from connectors.sandbox import SandboxConnector
from tests.integration.harnesses.base import Harness


def _alt_texts(sim, result) -> list[str]:
    post = next(p for p in sim.posts("sandbox") if p["id"] == result.platform_post_id)
    return [m["alt_text"] for m in post["media"]]


HARNESS = Harness(
    platform="sandbox",
    make_connector=lambda sim_url: SandboxConnector(
        handle="metro911", credentials={"access_token": "contract-token"},
        api_base_url=f"{sim_url}/sandbox"),
    post_path="/posts",
    too_long_text="a" * 501,
    stored_alt_texts=_alt_texts,
)

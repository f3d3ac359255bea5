"""X through tweepy with an OAuth 2.0 user token (the form the connect flow stores).

The token is minted in-process with the simulator's own signer (``issue_tokens``): no
request reaches the simulator before the test starts, so its request log stays clean.
"""

from __future__ import annotations

from connectors.x import XConnector
from connectors.x_oauth import SCOPES
from simulator.platforms.x_tokens import issue_tokens
from tests.integration.harnesses.base import Harness

HANDLE = "metro911"
CLIENT_ID = "tenfour-contract"


def oauth2_credentials(handle: str = HANDLE, *, expires_in: int = 7200) -> dict[str, str]:
    tokens = issue_tokens(handle, CLIENT_ID, scope=SCOPES, expires_in=expires_in)
    return {"client_id": CLIENT_ID, "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"]}


def make_connector(sim_url: str) -> XConnector:
    return XConnector(handle=HANDLE, credentials=oauth2_credentials(), api_base_url=f"{sim_url}/x")


def _alt_texts(sim, result) -> list[str]:
    post = next(p for p in sim.posts("x") if p["id"] == result.platform_post_id)
    return [m["alt_text"] for m in post["media"]]


HARNESS = Harness(
    platform="x",
    make_connector=make_connector,
    post_path="/2/tweets",
    # 150 emoji: 150 code points, 300 weighted characters.
    too_long_text="\N{TELEPHONE RECEIVER}" * 10 + "\N{POLICE CARS REVOLVING LIGHT}" * 140,
    stored_alt_texts=_alt_texts,
)

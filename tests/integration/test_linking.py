"""The account linker hands renewed tokens back: X rotates its refresh token on renewal, so a
"test connection" that dropped them would disconnect the account it just checked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from connectors.linking import Linker
from tests.integration.harnesses.x import oauth2_credentials


def test_verify_returns_the_renewed_x_tokens_and_they_keep_working(sim) -> None:
    linker = Linker({"x": {"client_id": "tenfour-contract"}}, {"x": f"{sim.url}/x"})
    expired = {**oauth2_credentials(),
               "expires_at": (datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat()}

    first = linker.verify("x", handle="metro911", credentials=expired, api_base_url=None)
    renewed = first.extra["refreshed_credentials"]
    assert renewed["refresh_token"] != expired["refresh_token"]

    # The old refresh token is dead after rotation; the renewed set still verifies.
    again = linker.verify("x", handle="metro911", credentials=renewed, api_base_url=None)
    assert again.handle == first.handle


def test_verify_without_renewal_adds_nothing(sim) -> None:
    linker = Linker({}, {"sandbox": f"{sim.url}/sandbox"})
    info = linker.verify("sandbox", handle="metro911", credentials={"access_token": "t"},
                         api_base_url=None)
    assert "refreshed_credentials" not in info.extra

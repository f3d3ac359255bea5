"""What goes out is each target's own text: the worker's publish path (in-process, over HTTP
to the simulator) sends a platform its variant, and a Mastodon server's own 1,000-character
limit lets a 700-character post through end to end."""

from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import update

from content_queue.models import PostTarget, SocialAccount, User
from content_queue.services import queue_post
from tests.integration.helpers import utcnow
from workers.jobs import publish_one


def test_each_target_publishes_its_platform_s_variant(db, factory, sim, rt):
    requests.post(f"{sim.url}/mastodon/wide/_sim/instance", json={"max_characters": 1000},
                  timeout=5).raise_for_status()
    sandbox = factory.account("sandbox", api_base_url=f"{sim.url}/sandbox")
    mastodon = factory.account("mastodon", handle="metro911@wide.mastodon.example",
                               credentials={"instance_url": "https://wide.mastodon.example",
                                            "access_token": "contract-token"},
                               api_base_url=f"{sim.url}/mastodon/wide")
    long_text = "Thank you, telecommunicators, for every call tonight. " * 13  # 702 chars
    author = factory.user("admin")
    with db.session_scope() as s:
        s.get(SocialAccount, mastodon.id).max_characters = 1000  # as read from its server
        post = queue_post(s, actor=s.get(User, author.id), text="Short thanks for sandbox.",
                          account_ids=[sandbox.id, mastodon.id],
                          scheduled_at=utcnow() + timedelta(hours=1), now=utcnow(),
                          variants={"mastodon": long_text})
        ids = {t.account_id: t.id for t in post.targets}
        s.execute(update(PostTarget).where(PostTarget.id.in_(list(ids.values())))
                  .values(status="publishing", claimed_at=utcnow(), attempts=1))

    assert publish_one(rt, ids[sandbox.id]) == "published"
    assert publish_one(rt, ids[mastodon.id]) == "published"
    assert [p["text"] for p in sim.posts("sandbox")] == ["Short thanks for sandbox."]
    (status,) = [p for p in sim.posts("mastodon") if "telecommunicators" in (p.get("text") or "")]
    assert status["text"].strip() == long_text.strip()


def test_connecting_a_mastodon_account_brings_its_server_s_limit(sim):
    """The OAuth connect path (``oauth_finish``) hands the limit on with the account, and
    ``verify`` (Test connection) reads it too."""
    from urllib.parse import parse_qs, urlparse

    from connectors.mastodon import MastodonConnector, oauth_finish, oauth_start
    from tests.integration.test_mastodon_connector import REDIRECT, _consent

    requests.post(f"{sim.url}/mastodon/roomy/_sim/instance", json={"max_characters": 2500},
                  timeout=5).raise_for_status()
    base = f"{sim.url}/mastodon/roomy"
    start = oauth_start(redirect_uri=REDIRECT, api_base_url=base, client={},
                        instance_url="roomy.mastodon.example")
    answer = _consent(sim, start.url, username="roomy_911", decision="approve")
    callback = {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}
    (linked,) = oauth_finish(callback_params=callback, start=start, redirect_uri=REDIRECT,
                             api_base_url=base, client={})
    assert linked.limits == {"max_characters": 2500}
    info = MastodonConnector(handle=linked.handle, credentials=linked.credentials,
                             api_base_url=base).verify()
    assert info.extra["max_characters"] == 2500

"""Single sign-on end to end without a browser (issue 11): the app's Authlib client against the
simulator's OpenID Connect provider over real HTTP. The test plays the person at the provider's
page (a form POST), and the Flask test client plays the browser at Tenfour's side."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from content_queue.models import Agency, AuditEvent, User
from simulator import oidc
from tests.integration.web_client import CSRF_RE, login_client
from web import create_app

SUPERVISOR = {"email": "avery.supervisor@metro911.gov", "name": "Avery Supervisor",
              "groups": "911-supervisors"}


def sso_settings(settings, sim_url: str, **overrides):
    values = {"oidc_discovery_url": sim_url + "/oidc/.well-known/openid-configuration",
              "oidc_client_id": oidc.CLIENT_ID, "oidc_client_secret": oidc.CLIENT_SECRET,
              "oidc_provider_name": "Metro IdP", **overrides}
    return replace(settings, **values)


@pytest.fixture
def sso_client(settings, db, sim):
    return create_app(sso_settings(settings, sim.url), db=db).test_client()


@pytest.fixture
def mapped(db, factory):
    factory.user("admin", email="admin@metro911.gov")
    with db.session_scope() as s:
        agency = s.scalars(select(Agency)).first()
        agency.sso_group_roles = {"911-supervisors": "approver", "911-pio": "pio"}
        return agency.id


def start(client) -> dict[str, str]:
    """Click "Sign in with Metro IdP": the provider's authorize URL and its parameters."""
    response = client.get("/login/sso")
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["Location"]).query).items()}
    return query


def at_provider(sim_url: str, params: dict, person: dict, decision: str = "allow") -> str:
    """The person's choice on the provider's page; the redirect back to Tenfour."""
    answer = requests.post(f"{sim_url}/oidc/authorize", data={**params, **person,
                                                              "decision": decision},
                           allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def back_at_tenfour(client, location: str):
    parts = urlsplit(location)
    assert parts.path == "/login/sso/callback"
    return client.get(f"{parts.path}?{parts.query}")


def test_the_login_page_offers_sso_only_when_configured(client, sso_client):
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert "Sign in with Metro IdP" in sso_client.get("/login").get_data(as_text=True)


def test_a_supervisor_group_signs_in_as_approver_with_pkce_and_nonce(sso_client, sim, db,
                                                                     mapped, factory):
    pio = factory.user("pio", email=SUPERVISOR["email"])  # known, promoted by the group
    params = start(sso_client)
    assert params["client_id"] == oidc.CLIENT_ID and params["code_challenge_method"] == "S256"
    assert params["nonce"] and params["state"] and "openid" in params["scope"].split()
    response = back_at_tenfour(sso_client, at_provider(sim.url, params, SUPERVISOR))
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert sso_client.get("/approvals").status_code == 200  # an approver's page
    with db.session_scope(write=False) as s:
        user = s.get(User, pio.id)
        assert user.role == "approver" and user.last_login_at is not None
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sso_signed_in")).one()
        assert event.details["groups"] == ["911-supervisors"]
        assert event.details["issuer"] == sim.url + "/oidc"


def test_someone_new_in_a_mapped_group_gets_an_account(sso_client, sim, db, mapped):
    params = start(sso_client)
    person = {"email": "pat.pio@metro911.gov", "name": "Pat PIO", "groups": "911-pio,all-staff"}
    assert back_at_tenfour(sso_client, at_provider(sim.url, params, person)).status_code == 302
    with db.session_scope(write=False) as s:
        user = s.scalars(select(User).where(User.email == "pat.pio@metro911.gov")).one()
        assert (user.role, user.display_name, user.agency_id) == ("pio", "Pat PIO", mapped)
    assert sso_client.get("/posts/new").status_code == 200  # a writer's page


def test_a_stranger_is_refused_on_the_login_page(sso_client, sim, db, mapped):
    params = start(sso_client)
    person = {"email": "sam@example.org", "groups": "visitors"}
    response = back_at_tenfour(sso_client, at_provider(sim.url, params, person))
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "none of your groups (visitors) has a role" in page
    assert sso_client.get("/").status_code == 302  # still signed out
    with db.session_scope(write=False) as s:
        assert s.scalars(select(User).where(User.email == "sam@example.org")).first() is None


def test_cancelling_at_the_provider_says_so(sso_client, sim, mapped):
    params = start(sso_client)
    response = back_at_tenfour(sso_client, at_provider(sim.url, params, {}, decision="deny"))
    assert response.status_code == 400
    assert "did not finish: The person cancelled." in response.get_data(as_text=True)


def test_an_answer_for_another_sign_in_is_refused(sso_client, sim, settings, db, mapped):
    """A code and state made for one browser, replayed in another (a login CSRF)."""
    params = start(sso_client)
    location = at_provider(sim.url, params, SUPERVISOR)
    other = create_app(sso_settings(settings, sim.url), db=db).test_client()
    response = back_at_tenfour(other, location)
    assert response.status_code == 400
    assert "started in another tab or too long ago" in response.get_data(as_text=True)
    assert other.get("/").status_code == 302


def test_a_wrong_client_secret_is_a_clear_refusal(settings, db, sim, mapped):
    client = create_app(sso_settings(settings, sim.url, oidc_client_secret="wrong"),
                        db=db).test_client()
    params = start(client)
    response = back_at_tenfour(client, at_provider(sim.url, params, SUPERVISOR))
    assert response.status_code == 400
    assert "Metro IdP refused the sign-in" in response.get_data(as_text=True)


def test_an_unreachable_provider_leaves_the_password_sign_in(settings, db, factory, mapped):
    dead = "http://127.0.0.1:9"  # discard port: nothing listens
    client = create_app(sso_settings(settings, dead), db=db).test_client()
    response = client.get("/login/sso")
    assert response.status_code == 502
    assert "Tenfour could not reach Metro IdP" in response.get_data(as_text=True)
    login_client(client, "admin@metro911.gov", factory.password)
    assert client.get("/").status_code == 200


def test_a_deactivated_user_cannot_come_back_through_sso(sso_client, sim, db, mapped, factory):
    user = factory.user("approver", email=SUPERVISOR["email"])
    with db.session_scope() as s:
        s.get(User, user.id).active = False
    response = back_at_tenfour(sso_client, at_provider(sim.url, start(sso_client), SUPERVISOR))
    assert response.status_code == 403 and "is deactivated" in response.get_data(as_text=True)


def test_an_admin_maps_groups_to_roles_and_a_bad_line_is_explained(sso_client, db, mapped,
                                                                    factory):
    login_client(sso_client, "admin@metro911.gov", factory.password)
    page = sso_client.get("/admin/sso").get_data(as_text=True)
    assert "911-supervisors = approver" in page and "Sign in with <strong>Metro IdP" not in page
    token = CSRF_RE.search(page).group(1)
    bad = sso_client.post("/admin/sso", data={"csrf_token": token,
                                              "group_roles": "floor = chief\n<b>x</b> = pio"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "line 1: &#39;chief&#39; is not a role" in text and "<b>x</b>" not in text
    good = sso_client.post("/admin/sso", data={"csrf_token": token,
                                               "group_roles": "floor-supervisors = approver"})
    assert good.status_code == 302
    with db.session_scope(write=False) as s:
        assert s.get(Agency, mapped).sso_group_roles == {"floor-supervisors": "approver"}


def test_a_pio_cannot_change_the_mapping(sso_client, factory, mapped):
    pio = factory.user("pio")
    login_client(sso_client, pio.email, factory.password)
    assert sso_client.get("/admin/sso").status_code == 403

"""The kits pages without a browser: the start form's refusals, the agency's own kit folder
(KITS_DIR) and its broken files, and the consent form on a spotlight post's page."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.integration.web_client import FormClient
from web import create_app


@pytest.fixture
def kits_dir(tmp_path):
    folder = tmp_path / "our-kits"
    folder.mkdir()
    (folder / "open-house.yaml").write_text(
        "id: open-house\nname: Open house\ndescription: Our yearly open house.\n"
        "posts:\n  - key: invite\n    title: Invitation\n    day: 0\n"
        "    text: Come see the dispatch floor this Saturday.\n")
    (folder / "broken.yaml").write_text(
        "id: broken\nname: Broken\ndescription: d\nposts:\n  - key: a\n    title: A\n"
        "    day: 0\n    text: Hello {nobody}\n")
    return folder


@pytest.fixture
def browser(settings, db, factory, kits_dir):
    app = create_app(replace(settings, kits_dir=kits_dir), db=db)
    form = FormClient(app.test_client(), factory.password)
    form.pio = factory.user("pio")
    form.account = factory.account("sandbox", handle="metro911")
    form.login(form.pio)
    return form


def test_the_agency_s_kits_are_listed_and_a_broken_file_is_named_with_its_line(browser,
                                                                               kits_dir):
    page = browser.text("/kits")
    assert "Open house" in page and "National Public Safety Telecommunicators Week" in page
    assert f"{kits_dir / 'broken.yaml'}</code>, line 8" in page
    assert "{nobody}" in page


def test_a_spotlight_started_in_the_browser_asks_for_consent_on_the_post_page(browser):
    response = browser.submit("/kits/dispatcher-spotlight", {
        "start_date": (date.today() + timedelta(days=3)).isoformat(),
        "field-agency_name": "Metro 911", "field-person_name": "Jordan <b>Lee</b>",
        "field-role": "Senior telecommunicator",
        "field-contribution": "trained 12 new call takers.",
        "accounts": str(browser.account.id)}, token_from="/kits/dispatcher-spotlight")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    campaign_page = browser.text(response.headers["Location"])
    assert "Consent needed" in campaign_page
    assert "Jordan &lt;b&gt;Lee&lt;/b&gt;" in campaign_page  # user text is escaped
    post_id = int(re.search(r'href="/posts/(\d+)"', campaign_page).group(1))
    detail = browser.text(f"/posts/{post_id}")
    assert "Needed before approval" in detail

    refused = browser.submit(f"/posts/{post_id}/consents", {"person_name": "Jordan Lee"},
                             token_from=f"/posts/{post_id}")
    assert refused.status_code == 302
    assert "The consent was not recorded" in browser.text(f"/posts/{post_id}")
    browser.submit(f"/posts/{post_id}/consents", {
        "person_name": "Jordan Lee", "given_by": "Jordan Lee",
        "given_on": date.today().isoformat(), "purpose": "Name and photo in this post.",
        "covers_name": "1", "covers_photo": "1"}, token_from=f"/posts/{post_id}")
    detail = browser.text(f"/posts/{post_id}")
    assert "Needed before approval" not in detail
    assert "Jordan Lee: name and photo, given by Jordan Lee" in detail


def test_the_start_form_keeps_what_was_typed_and_names_what_is_missing(browser):
    response = browser.submit("/kits/npstw", {"year": "2027", "field-agency_name": "Metro 911"},
                              token_from="/kits/npstw")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The community you serve" in page and 'value="Metro 911"' in page
    past = browser.submit("/kits/npstw", {"year": "2020", "field-agency_name": "Metro 911",
                                          "field-community": "Metro County",
                                          "field-team_size": "4",
                                          "field-calls_last_year": "100",
                                          "field-jobs_link": "https://metro911.gov/jobs",
                                          "accounts": str(browser.account.id)},
                          token_from="/kits/npstw")
    assert past.status_code == 422 and "has passed" in past.get_data(as_text=True)

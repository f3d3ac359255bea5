"""Templates: fields found, filled in, refused when missing; names unique per agency."""

from __future__ import annotations

import pytest

from content_queue.errors import Conflict, Forbidden, NotFound, ValidationFailed
from content_queue.post_templates import (
    create_template,
    default_values,
    delete_template,
    get_template,
    list_templates,
    render_template_text,
    template_fields,
    update_template,
)
from tests.unit.conftest import NOW

TEXT = "Thank you, {dispatcher_name}! {center_name} is proud of you, {dispatcher_name}."


def test_fields_are_listed_once_in_order_of_appearance() -> None:
    assert template_fields(TEXT) == ["dispatcher_name", "center_name"]
    assert template_fields("No fields, {{literal}} braces.") == []


def test_rendering_fills_every_field_and_keeps_literal_braces() -> None:
    text = render_template_text(TEXT + " {{x}}", {"dispatcher_name": "Sam",
                                                  "center_name": "Metro 911"})
    assert text == "Thank you, Sam! Metro 911 is proud of you, Sam. {x}"


def test_rendering_refuses_and_names_every_missing_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        render_template_text(TEXT, {"dispatcher_name": "  "})
    assert "{dispatcher_name}" in refused.value.message
    assert "{center_name}" in refused.value.message
    assert set(refused.value.fields) == {"dispatcher_name", "center_name"}


def test_the_center_name_defaults_to_the_agency_s_name(make) -> None:
    assert default_values(make.agency()) == {"center_name": make.agency().name}


@pytest.mark.parametrize("text", ["Hello {dispatcher name}", "Hello {", "Hello }", "{1abc}"])
def test_a_template_with_broken_braces_is_refused(session, make, text) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_template(session, actor=make.user("pio"), name="Broken", text=text, now=NOW)
    assert refused.value.code == "template_syntax"


def test_pios_create_change_and_delete_templates(session, make) -> None:
    pio = make.user("pio")
    row = create_template(session, actor=pio, name=" Thank-you ", text=TEXT, now=NOW)
    assert row.name == "Thank-you"
    with pytest.raises(Conflict):
        create_template(session, actor=pio, name="thank-you", text="x", now=NOW)
    update_template(session, actor=pio, template_id=row.id, name="Thanks", text="Hi {name}",
                    now=NOW)
    assert get_template(session, pio.agency_id, row.id).text == "Hi {name}"
    rows, total = list_templates(session, pio.agency_id)
    assert total == 1 and rows[0].name == "Thanks"
    delete_template(session, actor=pio, template_id=row.id, now=NOW)
    with pytest.raises(NotFound):
        get_template(session, pio.agency_id, row.id)


def test_viewers_cannot_write_templates_and_other_agencies_cannot_see_them(session,
                                                                          make) -> None:
    with pytest.raises(Forbidden):
        create_template(session, actor=make.user("viewer"), name="A", text="B", now=NOW)
    row = create_template(session, actor=make.user("pio"), name="A", text="B", now=NOW)
    stranger = make.user("admin", agency=make.agency(new=True))
    with pytest.raises(NotFound):
        get_template(session, stranger.agency_id, row.id)
    with pytest.raises(NotFound):
        delete_template(session, actor=stranger, template_id=row.id, now=NOW)

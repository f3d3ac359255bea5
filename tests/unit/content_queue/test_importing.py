"""Bulk import: every kind of bad row reported with its spreadsheet row number, and nothing
created unless every row is good."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from content_queue.errors import ValidationFailed
from content_queue.exporting import export_rows
from content_queue.importing import EXAMPLE_CSV, MAX_ROWS, import_posts, parse_when, RowProblem
from content_queue.models import Campaign, Post
from tests.unit.conftest import NOW

HEADER = "text,accounts,scheduled_at,campaign\n"


def _posts(session) -> int:
    return session.scalar(select(func.count()).select_from(Post))


@pytest.fixture
def setting(session, make):
    pio = make.user("pio")
    sandbox, x = make.account("sandbox"), make.account("x")
    session.add(Campaign(agency_id=pio.agency_id, name="NPSTW 2027", created_at=NOW))
    session.flush()
    return pio, sandbox, x


def test_good_rows_become_posts_awaiting_approval(session, setting) -> None:
    pio, sandbox, x = setting
    data = (HEADER + f"Thanks all,{sandbox.handle};x:{x.handle},2027-04-12 09:00,npstw 2027\n"
            f"\"Tours, Saturday\",@{sandbox.handle},2027-04-13T09:00:00-05:00,\n").encode()
    result = import_posts(session, actor=pio, data=data, now=NOW)
    assert result.ok and result.created == 2
    assert [r.to_dict()["row"] for r in result.rows] == [2, 3]
    first = session.get(Post, result.rows[0].post_id)
    assert sorted(t.account_id for t in first.targets) == sorted([sandbox.id, x.id])
    assert first.campaign.name == "NPSTW 2027"
    assert {t.status for t in first.targets} == {"awaiting_approval"}
    # 09:00 in Chicago (CDT, UTC-5) on 12 April
    assert first.targets[0].scheduled_at.hour == 14
    second = session.get(Post, result.rows[1].post_id)
    assert second.text == "Tours, Saturday"


def test_every_bad_row_is_reported_and_nothing_is_created(session, setting) -> None:
    pio, sandbox, x = setting
    good = f"Fine,{sandbox.handle},2027-04-12 09:00,"
    rows = [
        good,                                                         # row 2: ok
        f"Who,nobody_here,2027-04-12 09:00,",                         # 3 unknown handle
        f"Gap,{sandbox.handle},2027-03-14 02:30,",                    # 4 DST gap
        f"Past,{sandbox.handle},2027-04-01 09:00,",                   # 5 past
        f"{'x' * 300},x:{x.handle},2027-04-12 09:00,",                # 6 too long for X
        f"Too,many,columns,here,really",                              # 7 bad column count
        f"Campaign,{sandbox.handle},2027-04-12 09:00,No such",        # 8 unknown campaign
        f"When,{sandbox.handle},next tuesday,",                       # 9 not a time
        f"Twice,{sandbox.handle},2027-11-07 01:30,",                  # 10 ambiguous (fall back)
        f",{sandbox.handle},2027-04-12 09:00,",                       # 11 empty text
        f"Nobody,,2027-04-12 09:00,",                                 # 12 no accounts
    ]
    result = import_posts(session, actor=pio, data=(HEADER + "\n".join(rows)).encode(),
                          now=NOW)
    assert not result.ok and result.created == 0
    codes = {r.row: r.code for r in result.rows}
    assert codes == {2: None, 3: "unknown_handle", 4: "time_in_dst_gap", 5: "time_in_past",
                     6: "text_too_long", 7: "bad_column_count", 8: "unknown_campaign",
                     9: "invalid_time", 10: "time_ambiguous", 11: "text_empty",
                     12: "no_accounts"}
    assert result.rows[0].to_dict() == {"row": 2, "status": "ok", "post_id": None}
    assert "X" in result.rows[4].message and "280" in result.rows[4].message
    assert "nobody_here" in result.rows[1].message
    assert _posts(session) == 0


def test_a_handle_on_two_platforms_must_name_its_platform(session, make) -> None:
    pio = make.user("pio")
    a, b = make.account("sandbox"), make.account("mastodon")
    b.handle = a.handle
    session.flush()
    result = import_posts(session, actor=pio, data=(HEADER + f"Hi,{a.handle},2027-04-12 09:00,"
                                                    ).encode(), now=NOW)
    assert result.rows[0].code == "ambiguous_handle"
    assert f"mastodon:{a.handle}" in result.rows[0].message


def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(session, setting) -> None:
    pio, sandbox, _x = setting
    data = HEADER + f"\nOk,{sandbox.handle},2027-04-12 09:00,\nBad,ghost,2027-04-12 09:00,\n"
    result = import_posts(session, actor=pio, data=data.encode(), now=NOW)
    assert [(r.row, r.status) for r in result.rows] == [(3, "ok"), (4, "error")]


@pytest.mark.parametrize("data, code", [
    (b"", "file_empty"),
    (HEADER.encode(), "file_empty"),
    (b"text,accounts,when\nA,b,c\n", "bad_header"),
    ("text,accounts,scheduled_at,campaign\nCaf\xe9,a,b,\n".encode("latin-1"), "file_encoding"),
    ((HEADER + "a,b,c,d\n" * (MAX_ROWS + 1)).encode(), "too_many_rows"),
    (b"x" * (1024 * 1024 + 1), "file_too_large"),
])
def test_a_file_that_is_not_the_expected_csv_is_refused_whole(session, make, data,
                                                              code) -> None:
    with pytest.raises(ValidationFailed) as refused:
        import_posts(session, actor=make.user("pio"), data=data, now=NOW)
    assert refused.value.code == code
    assert refused.value.fields["file"]


def test_columns_may_come_in_any_order(session, setting) -> None:
    pio, sandbox, _x = setting
    data = f"campaign,scheduled_at,accounts,text\n,2027-04-12 09:00,{sandbox.handle},Hi\n"
    assert import_posts(session, actor=pio, data=data.encode(), now=NOW).created == 1


def test_local_times_and_times_with_offsets() -> None:
    assert parse_when("2027-04-12 09:00", "America/Chicago").hour == 14
    assert parse_when("2027-04-12T09:00:00-06:00", "America/Chicago").hour == 15
    assert parse_when("2027-04-12 09:00Z", "America/Chicago").hour == 9
    assert parse_when("04/12/2027 9:00 AM", "America/Chicago").hour == 14
    with pytest.raises(RowProblem) as gap:
        parse_when("2027-03-14 02:30", "America/Chicago")
    assert gap.value.code == "time_in_dst_gap"


def test_the_example_file_imports_once_its_handles_exist(session, make) -> None:
    pio = make.user("pio")
    sandbox, x = make.account("sandbox"), make.account("x")
    sandbox.handle = x.handle = "county911"
    session.add(Campaign(agency_id=pio.agency_id, name="NPSTW 2027", created_at=NOW))
    session.flush()
    result = import_posts(session, actor=pio, data=EXAMPLE_CSV.encode(), now=NOW)
    assert [r.code for r in result.rows] == ["ambiguous_handle", "ambiguous_handle",
                                             "ambiguous_handle"]  # county911 is on two


def test_an_export_can_be_imported_again(session, setting) -> None:
    pio, sandbox, x = setting
    data = (HEADER + f"=SUM(1),{sandbox.handle};x:{x.handle},2027-04-12 09:00,NPSTW 2027\n")
    assert import_posts(session, actor=pio, data=data.encode(), now=NOW).created == 1
    exported = "".join(export_rows(session, pio))
    assert exported.splitlines()[0].startswith("text,accounts,scheduled_at,campaign,post_id")
    assert "'=SUM(1)" in exported  # a spreadsheet must not run it
    again = import_posts(session, actor=pio, data=exported.encode(), now=NOW)
    assert again.ok and again.created == 1  # the export's extra columns are ignored
    short = exported.splitlines()[0] + "\nOnly,four,cells,here\n"
    assert import_posts(session, actor=pio, data=short.encode(), now=NOW).rows[0].code == \
        "bad_column_count"
    copy = session.get(Post, again.rows[0].post_id)
    assert copy.text == "=SUM(1)" and len(copy.targets) == 2
    assert copy.campaign.name == "NPSTW 2027"

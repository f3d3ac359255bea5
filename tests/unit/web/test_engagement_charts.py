"""The dashboard's server-side SVG: every chart names itself for screen readers (role="img",
<title>, <desc>), escapes user text (post texts, campaign names), and parses as XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from web.engagement import charts

HOSTILE = '<script>alert("x")</script> & "quotes"'
SVG = "{http://www.w3.org/2000/svg}"


def _charts() -> dict[str, str]:
    return {
        "bar": charts.bar_chart("c1", f"Per campaign {HOSTILE}", f"desc {HOSTILE}",
                                [(HOSTILE, 12.0), ("Plain", 3.0)]),
        "grouped": charts.grouped_bar_chart("c2", HOSTILE, HOSTILE, ["Likes", HOSTILE],
                                            [(HOSTILE, [1.0, None]), ("Before", [2.0, 3.0])]),
        "line": charts.line_chart("c3", HOSTILE, HOSTILE,
                                  [(HOSTILE, [(1.0, 4.0), (24.0, 9.0), (720.0, 12.0)])]),
        "heatmap": charts.heatmap("c4", HOSTILE, HOSTILE, ["Mon<", "Tue"],
                                  {(0, 9): (2, 5.5), (1, 23): (1, 1.0)}),
    }


@pytest.mark.parametrize("kind", ["bar", "grouped", "line", "heatmap"])
def test_a_chart_escapes_user_text_and_is_well_formed_svg(kind) -> None:
    svg = str(_charts()[kind])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(svg)  # escaped, so it parses
    texts = " ".join(root.itertext())
    assert '<script>alert("x")</script>' in texts  # shown as text, not run


@pytest.mark.parametrize("kind", ["bar", "grouped", "line", "heatmap"])
def test_a_chart_is_an_image_named_by_its_title_and_description(kind) -> None:
    root = ET.fromstring(str(_charts()[kind]))
    assert root.get("role") == "img"
    chart_id = root.get("id")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.get("id") == f"{chart_id}-title" and desc.get("id") == f"{chart_id}-desc"
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"


def test_bars_are_as_long_as_their_values() -> None:
    root = ET.fromstring(str(charts.bar_chart("c", "t", "d", [("a", 100.0), ("b", 50.0)])))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_an_empty_chart_says_so() -> None:
    assert "No data" in str(charts.bar_chart("c", "t", "d", []))
    assert "No snapshots yet" in str(charts.line_chart("c", "t", "d", []))


def test_series_differ_by_more_than_color() -> None:
    svg = str(charts.line_chart("c", "t", "d", [("a", [(1, 1)]), ("b", [(1, 2)]),
                                                ("c", [(1, 3)])]))
    root = ET.fromstring(svg)
    dashes = [p.get("stroke-dasharray") for p in root.iter(f"{SVG}polyline")]
    assert len(set(dashes)) == 3


@pytest.mark.parametrize("value, expected", [(0, 1.0), (7, 10), (120, 200), (2400, 2500),
                                             (49000, 50000)])
def test_axes_end_on_a_round_number(value, expected) -> None:
    assert charts.nice_max(value) == expected

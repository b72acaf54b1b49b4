"""The server-rendered SVG charts: well-formed XML, labelled for assistive technology, one bar (or point) per
value with its size proportional to the value, hostile labels escaped, and empty data said in the picture."""

from __future__ import annotations

import pytest
from lxml import etree

from web.charts import Series, axis_scale, bar_chart, column_chart, line_chart, number

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> etree._Element:
    return etree.fromstring(str(markup).encode())


def assert_labelled(root: etree._Element, chart_id: str, title: str, description: str) -> None:
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("id") == chart_id
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert root.find(f"{SVG}title").get("id") == f"{chart_id}-title"
    assert root.find(f"{SVG}title").text == title
    assert root.find(f"{SVG}desc").get("id") == f"{chart_id}-desc"
    assert root.find(f"{SVG}desc").text == description


def bars(root: etree._Element) -> list[etree._Element]:
    return root.findall(f".//{SVG}rect[@class='bar']")


def test_bar_chart_draws_one_bar_per_value_proportional_to_it() -> None:
    root = parse(bar_chart("c1", "Workload", "Three people", [("anna", 4), ("bert", 2), ("carla", 0)]))
    assert_labelled(root, "c1", "Workload", "Three people")
    drawn = bars(root)
    assert [bar.get("data-value") for bar in drawn] == ["4", "2", "0"]
    widths = [float(bar.get("width")) for bar in drawn]
    assert widths[0] > 0 and widths[1] == pytest.approx(widths[0] / 2, abs=0.1) and widths[2] == 0
    assert [bar.find(f"{SVG}title").text for bar in drawn] == ["anna: 4", "bert: 2", "carla: 0"]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "anna" in texts and "4" in texts


def test_bar_chart_escapes_labels_and_shortens_long_ones() -> None:
    hostile = '<script>alert("x")</script> & a very long activity name indeed'
    markup = bar_chart("c2", "T <1>", "D & more", [(hostile, 1.5)])
    root = parse(markup)  # well-formed despite the markup characters
    assert "<script>" not in str(markup)
    assert root.find(f"{SVG}title").text == "T <1>"
    bar = bars(root)[0]
    assert bar.find(f"{SVG}title").text == f"{hostile}: 1.5"
    label = next(t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("<script>"))
    assert label.endswith("…") and len(label) == 30


def test_column_chart_groups_series_per_category_with_a_legend() -> None:
    started, closed = Series("Started", [3, 0, 6]), Series("Closed", [1, 2, 0])
    root = parse(column_chart("weekly", "Per week", "Six started", ["W01", "W02", "W03"], [started, closed]))
    assert_labelled(root, "weekly", "Per week", "Six started")
    drawn = bars(root)
    assert [bar.get("data-value") for bar in drawn] == ["3", "0", "6", "1", "2", "0"]
    heights = {bar.find(f"{SVG}title").text: float(bar.get("height")) for bar in drawn}
    assert heights["W03 · Started: 6"] == pytest.approx(2 * heights["W01 · Started: 3"], abs=0.1)
    assert heights["W02 · Started: 0"] == 0
    # the second series is hatched (told apart by more than colour) and the legend names both
    assert drawn[3].get("fill") == "url(#weekly-hatch1)" and root.find(f".//{SVG}pattern").get("id") == "weekly-hatch1"
    legend = [t.text for t in root.find(f".//{SVG}g[@class='chart-legend']").iter(f"{SVG}text")]
    assert legend == ["Started", "Closed"]
    assert {"W01", "W02", "W03"} <= {t.text for t in root.iter(f"{SVG}text")}


def test_line_chart_has_a_point_per_value() -> None:
    root = parse(line_chart("backlog", "Open", "Open at week's end", ["a", "b", "c", "d"],
                            [Series("Open", [2, 4, 4, 1])]))
    assert_labelled(root, "backlog", "Open", "Open at week's end")
    points = root.findall(f".//{SVG}g[@class='point']")
    assert [p.get("data-value") for p in points] == ["2", "4", "4", "1"]
    line = root.find(f".//{SVG}polyline")
    ys = [float(pair.split(",")[1]) for pair in line.get("points").split()]
    assert ys[1] == ys[2] < ys[0] < ys[3]  # higher values are drawn higher up


@pytest.mark.parametrize("draw", [
    lambda: bar_chart("e", "Nothing", "No rows", [], empty_text="No data yet."),
    lambda: column_chart("e", "Nothing", "No rows", [], [Series("x", [])], empty_text="No data yet."),
    lambda: column_chart("e", "Nothing", "No rows", ["W1", "W2"], [Series("x", [0, 0])], empty_text="No data yet."),
    lambda: line_chart("e", "Nothing", "No rows", ["W1"], [Series("x", [0])], empty_text="No data yet."),
])
def test_empty_data_is_said_in_the_picture(draw: object) -> None:
    root = parse(draw())  # type: ignore[operator]
    assert_labelled(root, "e", "Nothing", "No rows")
    assert bars(root) == [] and root.findall(f".//{SVG}polyline") == []
    assert root.find(f".//{SVG}text[@class='chart-empty']").text == "No data yet."


def test_axis_maximum_and_number_format() -> None:
    assert [axis_scale(v) for v in (0, 3, 5, 7, 10, 12, 180, 2400)] == [
        (1, 1), (3, 1), (6, 2), (8, 2), (10, 5), (15, 5), (200, 50), (3000, 1000)]
    maximum, step = axis_scale(0.17)  # days: fractions stay fractions
    assert (maximum, step) == pytest.approx((0.2, 0.05))
    assert (number(3.0), number(2.34), number(7)) == ("3", "2.3", "7")
    root = parse(column_chart("f", "T", "D", ["a"], [Series("s", [3])], fmt=lambda v: f"{v:.0f} d"))
    assert {"0 d", "1 d", "2 d", "3 d"} <= {t.text for t in root.iter(f"{SVG}text")}  # axis labels: formatter

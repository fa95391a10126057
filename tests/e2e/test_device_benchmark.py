"""The Benchmarks page's "How fast is it here?": the reader times the models in their own browser.

Acts as a reader: picks model files with the checkboxes, presses the button, reads the table,
the chart and the downloaded JSON. No test asserts a timing: only that one was taken.
"""

import json
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

RUN = "Time the selected models here"
STOP = "Stop after the current model"
LONG = 300_000  # ms: a busy 2-core machine downloads and times a model slowly


def open_page(page, site_url):
    page.goto(site_url + "benchmarks/")
    page.wait_for_load_state("networkidle")
    return page.locator("#lwm-device")


def select_only(section, files):
    """Untick every box, then tick the given (model name, variant) files."""
    for box in section.get_by_role("checkbox").all():
        box.uncheck()
    for name, variant in files:
        section.get_by_role("checkbox", name=f"{name} {variant}", exact=True).check()


def same_origin(watch, site_url):
    origin = urlsplit(site_url)[:2]
    return [u for u in watch.requests if not u.startswith(("data:", "blob:")) and urlsplit(u)[:2] != origin]


def test_nothing_is_fetched_before_the_button(page, watch, site_url):
    section = open_page(page, site_url)
    boxes = section.get_by_role("checkbox")
    assert boxes.count() > 10
    # int8 is ticked by default, and only int8
    checked = [b.get_attribute("value") for b in boxes.all() if b.is_checked()]
    assert checked and all(v.endswith(".int8") for v in checked)
    assert not [u for u in watch.requests if ".onnx" in u or "models.json" in u or "worker.js" in u]
    assert section.locator("#lwm-device-results").is_hidden()
    assert watch.errors == []


def test_one_model_gives_a_row_a_point_and_a_matching_download(page, watch, site_url, manifest):
    section = open_page(page, site_url)
    name = manifest["models"]["squeezenet1_1"]["display_name"]
    select_only(section, [(name, "int8")])
    section.get_by_role("button", name=RUN).click()
    status = section.get_by_role("status")
    status.filter(has_text="Timed 1 of 1").wait_for(timeout=LONG)

    rows = section.locator("#lwm-device-table tbody tr")
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("data-model") == "squeezenet1_1" and row.get_attribute("data-variant") == "int8"
    median = float(row.get_attribute("data-median-ms"))
    assert median > 0
    if not manifest["models"]["squeezenet1_1"]["pretrained"]:
        assert "untrained" in row.inner_text()

    chart = section.get_by_role("img", name="Median latency against MACs")
    assert chart.is_visible()
    assert chart.locator("circle.lwm-mine[data-model=squeezenet1_1]").count() == 1
    assert chart.locator("line.lwm-ref").count() == 1  # the real-time budget
    # drawn at the width it is shown at, and again at a new one (a phone turned upright)
    drawn = lambda: int(chart.get_attribute("viewBox").split()[2])  # noqa: E731
    wide = drawn()
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("(w) => Number(document.querySelector('.lwm-device-chart').getAttribute('viewBox').split(' ')[2]) < w",
                           arg=wide)
    assert abs(drawn() - chart.bounding_box()["width"]) <= 2, (drawn(), chart.bounding_box())
    assert chart.locator("circle.lwm-mine[data-model=squeezenet1_1]").count() == 1

    with page.expect_download() as got:
        section.get_by_role("link", name="Download your figures (JSON)").click()
    report = json.loads(open(got.value.path()).read())
    for key in ("user_agent", "hardware_concurrency", "cross_origin_isolated", "threads"):
        assert key in report["browser"]
    assert report["site"]["manifest_generated_at"] == manifest["generated_at"]
    [r] = report["results"]
    assert (r["model"], r["variant"]) == ("squeezenet1_1", "int8")
    assert r["median_ms"] == median and r["p90_ms"] >= r["median_ms"] and r["runs"] == len(r["runs_ms"]) >= 3
    assert r["pretrained"] == manifest["models"]["squeezenet1_1"]["pretrained"]
    assert same_origin(watch, site_url) == []
    assert watch.errors == []


def test_stop_stops_before_the_next_model(page, watch, site_url, manifest):
    section = open_page(page, site_url)
    models = manifest["models"]
    keys = ("squeezenet1_1", "mobilenet_v3_small", "mobilenet_v2")
    select_only(section, [(models[k]["display_name"], "int8") for k in keys])
    section.get_by_role("button", name=RUN).click()
    status = section.get_by_role("status")
    status.filter(has_text="1 of 3").wait_for(timeout=LONG)  # the first model has started
    section.get_by_role("button", name=STOP).click()
    status.filter(has_text="Stopped").wait_for(timeout=LONG)
    timed = [r.get_attribute("data-model") for r in section.locator("#lwm-device-table tbody tr").all()]
    # the model running when Stop was pressed finishes (on a fast machine, perhaps the next one
    # had begun); none after it starts: its file is never requested
    assert 1 <= len(timed) < 3
    assert f"Stopped: timed {len(timed)} of 3" in status.inner_text()
    untimed = [k for k in keys if k not in timed]
    assert not [u for u in watch.requests for k in untimed if f"/models/{k}." in u]
    assert section.get_by_role("button", name=RUN).is_enabled()
    assert section.get_by_role("button", name=STOP).is_disabled()


def test_controls_are_labelled_and_reachable_by_keyboard(page, site_url):
    section = open_page(page, site_url)
    first = section.get_by_role("checkbox").first
    first.focus()
    assert first.evaluate("e => e.labels.length === 1 && e.labels[0].textContent.trim().length > 0")
    section.get_by_role("button", name=RUN).focus()
    assert page.evaluate("document.activeElement.id") == "lwm-device-run"
    # Tab from the last checkbox reaches the button
    section.get_by_role("checkbox").last.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "lwm-device-run"
    assert section.get_by_role("group", name="Model files to time").is_visible()

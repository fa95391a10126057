"""The Python exercises (docs/exercise.md) and the console, in Chromium, as a reader uses them.

Pyodide starts in a module worker on the first Run; it takes seconds on a small CPU, so the
waits are generous. Nothing here measures time: the runaway-loop test only checks that the
page says the run was stopped and that the next run works.
"""

import json
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from lwm import catalog

pytestmark = pytest.mark.e2e

PASS = "Your code passes all of our tests, nice work!"
WRONG = "Your code produced the wrong result. Looks like you did not add the 'is_lightweight' property properly for {}."
PYTHON_WAIT_MS = 120_000  # first Run: Pyodide download and start-up

LESSON_START = """models = {
    'ResNet': {'layers': 50, 'accuracy': 0.91, 'type': 'CNN'},
    'MobileNet': {'layers': 28, 'accuracy': 0.89, 'type': 'CNN'}
}
"""
RIGHT = LESSON_START + "models['ResNet']['is_lightweight'] = False\nmodels['MobileNet']['is_lightweight'] = True\n"

LESSON = "Exercise 1: add is_lightweight"
FOLLOW_UPS = [
    "Exercise 2: list the lightweight models",
    "Exercise 3: write the rule",
    "Exercise 4: bytes saved by int8",
    "Exercise 5: the Pareto frontier",
]


class Requests:
    """Every request of the browser context, workers included."""

    def __init__(self, context):
        self.urls: list[str] = []
        context.on("request", lambda r: self.urls.append(r.url))

    def python(self) -> list[str]:
        return [u for u in self.urls if "/vendor/pyodide/" in u or u.endswith("pyodide-worker.js")]

    def foreign(self) -> list[str]:
        return [u for u in self.urls if not u.startswith(("http://127.0.0.1:", "data:", "blob:"))]


@pytest.fixture
def traffic(page) -> Requests:
    return Requests(page.context)


def open_exercises(page, site_url):
    page.goto(site_url + "exercise/")
    expect(page.get_by_role("region", name=LESSON)).to_be_visible()


@pytest.fixture(scope="module")
def shared(browser, browser_context_args, site_url):
    """One exercise page, and its Python, for the tests below that grade code or query the
    console: starting Pyodide is most of each such test's time, and what they check (a grade,
    a traceback, the console's answers, a refused request) does not depend on what ran before
    in another region or query. Each test uses its own region of the page, or the console,
    and the lesson's tests run in file order (the wrong answers, which run the starter code
    as given, first). Tests about Python's first start, or its absence, open their own page.
    ``watch`` and ``traffic`` see every test of the module: an error or a foreign request in
    any of them fails the ones that check."""
    import conftest

    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    session = SimpleNamespace(page=page, watch=conftest.PageWatch(page), traffic=Requests(context))
    open_exercises(page, site_url)
    yield session
    context.close()


def run(region, code):
    region.get_by_role("textbox").fill(code)
    region.get_by_role("button", name="Run").click()


def status(region):
    return region.get_by_role("status")


def code_in(editor):
    """The code the editor shows (a CodeMirror content element: one line a row)."""
    return editor.inner_text()


def test_home_page_does_not_load_python(page, watch, traffic, site_url):
    page.goto(site_url)
    page.wait_for_load_state("networkidle")
    assert traffic.urls, "the listener saw the page's traffic"
    assert traffic.python() == []
    assert not [u for u in traffic.urls if "/app/py/" in u]
    assert watch.errors == []


def test_python_loads_on_first_run_and_the_right_answer_passes(page, watch, traffic, site_url):
    open_exercises(page, site_url)
    page.wait_for_load_state("networkidle")
    assert traffic.python() == [], "no Pyodide before the reader presses Run"

    lesson = page.get_by_role("region", name=LESSON)
    editor = lesson.get_by_label(f"Your code for {LESSON}")
    assert "# hint: MobileNet is a lightweight model, ResNet isn't" in code_in(editor)
    run(lesson, RIGHT)
    expect(status(lesson)).to_have_text(PASS, timeout=PYTHON_WAIT_MS)

    loaded = traffic.python()
    assert any(u.endswith("/vendor/pyodide/pyodide.asm.wasm") for u in loaded)
    assert any(u.endswith("/app/py/pyodide-worker.js") for u in loaded)
    assert traffic.foreign() == [] and watch.foreign_requests() == []
    assert watch.errors == []


def test_each_wrong_answer_gets_the_graders_message(shared):
    lesson = shared.page.get_by_role("region", name=LESSON)
    assert "# hint: MobileNet is a lightweight model" in code_in(lesson.get_by_role("textbox")), "the starter code"
    # the starter code as given: the property is missing on both, ResNet is checked first
    lesson.get_by_role("button", name="Run").click()
    expect(status(lesson)).to_have_text(WRONG.format("'ResNet'"), timeout=PYTHON_WAIT_MS)
    cases = [
        ("True", "True", "'ResNet'"),      # ResNet wrong
        ("False", "False", "'MobileNet'"),  # ResNet right, MobileNet wrong
        (None, "True", "'ResNet'"),        # property missing on ResNet
        ("False", None, "'MobileNet'"),    # property missing on MobileNet
    ]
    for resnet, mobilenet, blamed in cases:
        code = LESSON_START
        if resnet is not None:
            code += f"models['ResNet']['is_lightweight'] = {resnet}\n"
        if mobilenet is not None:
            code += f"models['MobileNet']['is_lightweight'] = {mobilenet}\n"
        run(lesson, code)
        expect(status(lesson)).to_have_text(WRONG.format(blamed), timeout=PYTHON_WAIT_MS)
    run(lesson, RIGHT)
    expect(status(lesson)).to_have_text(PASS, timeout=PYTHON_WAIT_MS)


def test_output_and_tracebacks_are_shown(shared):
    lesson = shared.page.get_by_role("region", name=LESSON)
    run(lesson, "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\nmodels = {}\nmodels['ResNet']['x']\n")
    expect(status(lesson)).to_contain_text("error", timeout=PYTHON_WAIT_MS)
    output = lesson.get_by_label(f"Output of {LESSON}")
    expect(output).to_contain_text("to stdout")
    expect(output).to_contain_text("to stderr")
    expect(output).to_contain_text("Traceback (most recent call last):")
    expect(output).to_contain_text('File "<exercise>", line 5')
    expect(output).to_contain_text("KeyError: 'ResNet'")


def test_a_runaway_loop_is_stopped_and_the_next_run_works(shared):
    page, watch = shared.page, shared.watch
    seconds = page.locator("[data-py-timeout]").first.inner_text()
    assert seconds.isdigit(), "the page states the time limit"
    lesson = page.get_by_role("region", name=LESSON)
    run(lesson, "while True:\n    pass\n")
    expect(status(lesson)).to_contain_text(f"still running after {seconds} seconds", timeout=PYTHON_WAIT_MS)
    expect(status(lesson)).to_contain_text("Python was restarted")
    run(lesson, RIGHT)
    expect(status(lesson)).to_have_text(PASS, timeout=PYTHON_WAIT_MS)
    assert watch.errors == []


@pytest.mark.parametrize("name", FOLLOW_UPS)
def test_follow_up_solution_passes_and_starter_does_not(shared, name):
    region = shared.page.get_by_role("region", name=name)
    region.get_by_role("button", name="Run").click()  # the starter code
    expect(status(region)).to_contain_text("Your code produced the wrong result.", timeout=PYTHON_WAIT_MS)
    region.get_by_text("Show solution").click()
    region.get_by_role("button", name="Copy the solution into the editor").click()
    region.get_by_role("button", name="Run").click()
    expect(status(region)).to_have_text(PASS, timeout=PYTHON_WAIT_MS)


def test_editor_tab_indents_and_escape_tab_leaves(page, site_url, traffic):
    open_exercises(page, site_url)
    lesson = page.get_by_role("region", name=LESSON)
    editor = lesson.get_by_role("textbox")
    editor.fill("x")
    editor.press("End")
    editor.press("Tab")
    assert code_in(editor) == "x    "
    editor.press("Escape")
    editor.press("Tab")
    expect(editor).not_to_be_focused()
    assert code_in(editor) == "x    "
    assert traffic.python() == [], "typing does not start Python"


def test_editor_numbers_lines_colours_python_and_indents_blocks(page, watch, site_url, traffic):
    """A code editor (CodeMirror, served by the site): line numbers, Python keywords in their
    own colour, and Enter after a colon indents the next line by four spaces."""
    open_exercises(page, site_url)
    lesson = page.get_by_role("region", name=LESSON)
    editor = lesson.get_by_role("textbox")
    expect(editor).to_have_accessible_description(re.compile("Escape then Tab"))
    editor.fill("def twice(x):")
    editor.press("End")
    editor.press("Enter")
    editor.press_sequentially("return 2 * x")
    assert code_in(editor) == "def twice(x):\n    return 2 * x"

    # the gutter also holds a hidden spacer, sized for the widest number
    numbers = lesson.locator(".cm-lineNumbers .cm-gutterElement").filter(visible=True)
    expect(numbers).to_have_text(["1", "2"])
    keywords = lesson.locator(".tok-keyword")
    expect(keywords).to_have_text(["def", "return"])
    colour = "(el) => getComputedStyle(el).color"
    assert keywords.first.evaluate(colour) != editor.evaluate(colour), "keywords are coloured"

    served = [u for u in watch.requests if "/vendor/codemirror/" in u]
    assert served and all(u.startswith(site_url) for u in served), "the editor comes from the site itself"
    assert traffic.foreign() == [] and traffic.python() == []
    assert watch.errors == []


def console_query(console, code) -> str:
    """Type a line into the console, run it, return what it printed."""
    console.get_by_label("Python (models is predefined)").fill(code)
    console.get_by_label("Python (models is predefined)").press("Enter")
    expect(console.get_by_role("status")).to_have_text("Done.", timeout=PYTHON_WAIT_MS)
    text = console.get_by_role("log", name="Python console output").inner_text()
    return text.rsplit(">>> ", 1)[1].split("\n", 1)[1]


def test_console_returns_the_manifests_values(shared, manifest):
    watch = shared.watch
    console = shared.page.get_by_role("region", name="Python console")
    resnet = manifest["models"]["resnet50"]
    assert console_query(console, "models['resnet50']['params']").strip() == str(resnet["params"])
    assert console_query(console, "models['resnet50']['is_lightweight']").strip() == "False"
    assert console_query(console, "models['mobilenet_v1']['is_lightweight']").strip() == "True"
    lightweight = [n for n, e in manifest["models"].items() if e["is_lightweight"]]
    got = console_query(console, "[n for n, m in models.items() if m['is_lightweight']]")
    assert got.strip() == repr(lightweight)
    assert watch.errors == []


def test_pyodide_builds_the_same_dictionary_as_native_python(shared, manifest):
    console = shared.page.get_by_role("region", name="Python console")
    in_browser = console_query(console, "import json; print(json.dumps(models, sort_keys=True))")
    native = json.dumps(catalog.build_models_dict(manifest), sort_keys=True)
    assert in_browser.strip() == native


def test_learner_code_cannot_reach_the_network(shared, site_url):
    watch, traffic = shared.watch, shared.traffic
    console = shared.page.get_by_role("region", name="Python console")
    probe = site_url + "learner-probe"
    attempts = {
        f"import js; js.fetch('{probe}')": "fetch is disabled",
        f"from pyodide.http import open_url; open_url('{probe}')": "XMLHttpRequest is disabled",
        f"from pyodide.http import pyfetch; await pyfetch('{probe}')": "fetch is disabled",
        f"import js; js.eval(\"import('{probe}')\")": "eval is disabled",
        f"import js; js.Function(\"return import('{probe}')\")()": "Function is disabled",
        f"import js; js.WebSocket.new('{probe.replace('http', 'ws')}')": "WebSocket is disabled",
        f"import js; js.setTimeout(\"import('{probe}')\", 0)": "string of code is disabled",
        "import pyodide_js; pyodide_js.loadPackage('micropip')": "loadPackage is disabled",
    }
    log = console.get_by_role("log", name="Python console output")
    for code, message in attempts.items():
        console.get_by_label("Python (models is predefined)").fill(code)
        console.get_by_label("Python (models is predefined)").press("Enter")
        expect(console.get_by_role("status")).to_have_text(
            "Python raised an error (traceback above).", timeout=PYTHON_WAIT_MS)
        assert message in log.inner_text().rsplit(">>> ", 1)[1], code
    assert console_query(console, "1 + 1").strip() == "2", "the console still works"
    assert [u for u in traffic.urls if "learner-probe" in u] == []
    assert traffic.foreign() == [] and watch.foreign_requests() == []


def test_compare_page_console_starts_python_on_the_first_query(page, watch, traffic, site_url, manifest):
    page.goto(site_url + "compare/")
    console = page.get_by_role("region", name="Python console")
    expect(console.get_by_label("Python (models is predefined)")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert traffic.python() == [], "no Pyodide before the first query"
    got = console_query(console, "models['mobilenet_v2']['bytes']['int8']")
    assert got.strip() == str(manifest["models"]["mobilenet_v2"]["variants"]["int8"]["bytes"])
    assert traffic.python() != []
    assert traffic.foreign() == [] and watch.foreign_requests() == []


def test_exercise_works_on_a_host_without_isolation_headers(page, watch, site_url_plain):
    """A plain static host (no COOP/COEP): Pyodide needs no SharedArrayBuffer here."""
    page.goto(site_url_plain + "exercise/")
    lesson = page.get_by_role("region", name=LESSON)
    run(lesson, RIGHT)
    expect(status(lesson)).to_have_text(PASS, timeout=PYTHON_WAIT_MS)
    assert watch.foreign_requests() == [] and watch.errors == []


def test_page_shows_the_manifests_verdict_for_the_lessons_models(page, traffic, site_url, manifest):
    open_exercises(page, site_url)
    expect(page.get_by_text(manifest["lightweight_rule"]["text"])).to_be_visible()
    for lesson_name, name in catalog.LESSON_MODELS.items():
        entry = manifest["models"][name]
        row = page.get_by_role("row").filter(has_text=lesson_name).filter(has_text=name)
        expect(row.get_by_role("cell").last).to_have_text(str(entry["is_lightweight"]))
        expect(row).to_contain_text(f"{entry['params']:,}")
        expect(row).to_contain_text(f"{entry['macs']:,}")
    assert manifest["models"]["resnet50"]["is_lightweight"] is False
    assert manifest["models"]["mobilenet_v1"]["is_lightweight"] is True
    assert traffic.python() == [], "the figures are written into the page when the site is built"

"""lwm/catalog.py and the exercise graders, natively (no browser).

The same catalog.py, grader.py and sandbox.py run in Pyodide on docs/exercise.md; the
end-to-end tests (tests/e2e/test_exercise.py) check that the page gives the same answers.
Expected values here come from the manifest fixture or from the rule's definition.
"""

import copy
import json
import re
import sys
from pathlib import Path

import pytest

from lwm import catalog

ROOT = Path(__file__).resolve().parents[1]
# In the site, catalog.py sits next to grader.py and sandbox.py; natively it is lwm.catalog
# (site_app/py is on the path through pyproject's pytest pythonpath)
sys.modules.setdefault("catalog", catalog)
import grader  # noqa: E402
import sandbox  # noqa: E402

LESSON_KEYS = ("layers", "accuracy", "type", "is_lightweight")
EXERCISE_PAGE = ROOT / "docs" / "exercise.md"


# --- the rule -----------------------------------------------------------------------------

def test_the_limits_are_where_the_verdict_changes_and_what_the_rules_text_states():
    params, macs = catalog.LIGHTWEIGHT_MAX_PARAMS, catalog.LIGHTWEIGHT_MAX_MACS
    # each limit is the last count the rule accepts: one more goes over that limit alone
    assert catalog.is_lightweight(params, macs) is True
    assert catalog.limits_exceeded(params + 1, macs) == ["params"]
    assert catalog.limits_exceeded(params, macs + 1) == ["macs"]
    # the rule in words (the manifest's lightweight_rule.text, read on the pages) states the
    # limits the function applies, so a changed limit cannot leave the text behind
    stated = {name: int(n.replace(",", "")) for name, n in re.findall(r"(params|MACs) <= ([\d,]+)", catalog.LIGHTWEIGHT_RULE)}
    assert stated == {"params": params, "MACs": macs}


@pytest.mark.parametrize(
    "params, macs, expected",
    [
        (10_000_000, 1_000_000_000, True),   # both exactly on the limit: inclusive
        (10_000_001, 1_000_000_000, False),
        (10_000_000, 1_000_000_001, False),
        (9_999_999, 999_999_999, True),
        (1, 5_000_000_000, False),           # few parameters, too much compute
        (50_000_000, 1, False),              # little compute, too many parameters
        (0, 0, True),
    ],
)
def test_rule_edges(params, macs, expected):
    assert catalog.is_lightweight(params, macs) is expected


@pytest.mark.parametrize(
    "params, macs, over",
    [
        (10_000_000, 1_000_000_000, []),
        (10_000_001, 1_000_000_000, ["params"]),
        (10_000_000, 1_000_000_001, ["macs"]),
        (50_000_000, 5_000_000_000, ["params", "macs"]),
    ],
)
def test_rule_names_the_limits_a_model_goes_over(params, macs, over):
    assert catalog.limits_exceeded(params, macs) == over
    assert catalog.is_lightweight(params, macs) is (over == [])


@pytest.mark.parametrize("params, macs", [(1.5, 2), ("1", 2), (None, 1), (1, 2.0), (True, 1), (1, False)])
def test_rule_refuses_non_integers(params, macs):
    with pytest.raises(TypeError):
        catalog.is_lightweight(params, macs)


# --- the models dictionary ------------------------------------------------------------------

def test_models_dict_has_the_lessons_keys_and_the_measured_figures(manifest):
    models = catalog.build_models_dict(manifest)
    assert list(models) == list(manifest["models"])
    for name, record in models.items():
        entry = manifest["models"][name]
        assert tuple(record)[:4] == LESSON_KEYS, name
        assert record["type"] == "CNN"
        assert record["layers"] == entry["depth"]
        assert record["is_lightweight"] is entry["is_lightweight"], name
        assert (record["params"], record["macs"]) == (entry["params"], entry["macs"])
        assert record["bytes"] == {v: entry["variants"][v]["bytes"] for v in entry["variants"]}
        assert set(record["latency_ms"]) == set(entry["variants"])
        top1 = entry["weights"]["published"]["top1"]
        assert record["accuracy"] == (None if top1 is None else pytest.approx(top1 / 100))
        assert record["pretrained"] is entry["pretrained"]
        assert record["accuracy_citation"] == entry["weights"]["published"]["citation"]["text"]


def test_resnet50_is_not_lightweight_and_mobilenet_is(manifest):
    models = catalog.build_models_dict(manifest)
    assert models["resnet50"]["is_lightweight"] is False
    assert models["resnet18"]["is_lightweight"] is False
    for name in ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"):
        assert models[name]["is_lightweight"] is True, name
    # the lesson's 'ResNet' (50 layers) and 'MobileNet' (28 layers) are these two models
    assert models[catalog.LESSON_MODELS["ResNet"]]["layers"] == 50
    assert models[catalog.LESSON_MODELS["MobileNet"]]["layers"] == 28


def test_models_dict_is_plain_json(manifest):
    models = catalog.build_models_dict(manifest)
    assert json.loads(json.dumps(models)) == models


def test_manifest_rule_is_the_catalogs(manifest):
    rule = manifest["lightweight_rule"]
    assert rule == {
        "text": catalog.LIGHTWEIGHT_RULE,
        "max_params": catalog.LIGHTWEIGHT_MAX_PARAMS,
        "max_macs": catalog.LIGHTWEIGHT_MAX_MACS,
    }


# --- the exercises, graded natively ---------------------------------------------------------

def exercises() -> dict[str, dict[str, str]]:
    """{exercise id: {"starter": code, "solution": code}} read from docs/exercise.md."""
    text = EXERCISE_PAGE.read_text()
    found = {}
    for block in re.finditer(r'<div class="py-exercise" data-exercise="(\w+)".*?\n</div>', text, re.S):
        fences = re.findall(r"^( *)```python\n(.*?)^\1```", block.group(0), re.S | re.M)
        (_, starter), (indent, solution) = fences[0], fences[1]
        solution = "".join(line[len(indent):] for line in solution.splitlines(True))
        found[block.group(1)] = {"starter": starter, "solution": solution}
    return found


def complete(coroutine):
    """Run a sandbox coroutine that never waits (no learner code here awaits anything).
    No event loop: Playwright's sync API keeps one running in this thread in e2e sessions."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise AssertionError("the coroutine waited for something")


def run_exercise(exercise_id, code):
    return json.loads(complete(sandbox.run_exercise(exercise_id, code)))


@pytest.fixture
def loaded(manifest):
    sandbox.setup(json.dumps(manifest))
    return manifest


LESSON_START = (
    "models = {'ResNet': {'layers': 50, 'accuracy': 0.91, 'type': 'CNN'}, "
    "'MobileNet': {'layers': 28, 'accuracy': 0.89, 'type': 'CNN'}}\n"
)


def test_the_page_has_the_lessons_exercise_and_follow_ups():
    found = exercises()
    assert list(found)[0] == "lesson"
    assert set(found) - {"lesson"} == set(grader.FOLLOW_UPS)
    assert 3 <= len(grader.FOLLOW_UPS) <= 5
    starter = found["lesson"]["starter"]
    assert "# TODO: Add an 'is_lightweight' entry" in starter
    assert "# hint: MobileNet is a lightweight model, ResNet isn't" in starter
    ns = {}
    exec(starter, ns)
    exec(LESSON_START, start := {})
    assert ns["models"] == start["models"]


@pytest.mark.parametrize(
    "code, message",
    [
        ("models['ResNet']['is_lightweight'] = False\nmodels['MobileNet']['is_lightweight'] = True\n", grader.PASS),
        ("models['ResNet']['is_lightweight'] = True\nmodels['MobileNet']['is_lightweight'] = True\n",
         grader.LESSON_WRONG.format("'ResNet'")),
        ("models['ResNet']['is_lightweight'] = False\nmodels['MobileNet']['is_lightweight'] = False\n",
         grader.LESSON_WRONG.format("'MobileNet'")),
        ("models['MobileNet']['is_lightweight'] = True\n", grader.LESSON_WRONG.format("'ResNet'")),
        ("", grader.LESSON_WRONG.format("'ResNet'")),
        ("models['ResNet']['is_lightweight'] = False\n", grader.LESSON_WRONG.format("'MobileNet'")),
        ("del models\n", grader.LESSON_WRONG.format("'ResNet'")),
    ],
)
def test_lesson_grader_messages(loaded, code, message):
    result = run_exercise("lesson", LESSON_START + code)
    assert result["message"] == message
    assert result["passed"] is (message == grader.PASS)


@pytest.mark.parametrize("key", list(catalog.LESSON_MODELS))
def test_lesson_without_its_model_in_the_manifest_says_it_cannot_be_graded(manifest, key):
    """No typed-in answer stands in for a measurement the manifest lacks."""
    name = catalog.LESSON_MODELS[key]
    partial = copy.deepcopy(manifest)
    del partial["models"][name]
    right = "models['ResNet']['is_lightweight'] = False\nmodels['MobileNet']['is_lightweight'] = True\n"
    sandbox.setup(json.dumps(partial))
    try:
        result = run_exercise("lesson", LESSON_START + right)
    finally:
        sandbox.setup(json.dumps(manifest))
    assert result["passed"] is False
    assert result["message"] == grader.NO_LESSON_MODEL.format(key=key, name=name)
    assert "cannot be graded" in result["message"] and repr(name) in result["message"]


def test_the_lessons_messages_are_the_notebooks():
    assert grader.PASS == "Your code passes all of our tests, nice work!"
    assert grader.LESSON_WRONG.format("'ResNet'") == (
        "Your code produced the wrong result. Looks like you did not add the "
        "'is_lightweight' property properly for 'ResNet'."
    )


@pytest.mark.parametrize("exercise_id", list(exercises()))
def test_each_solution_passes_and_each_starter_does_not(loaded, exercise_id):
    code = exercises()[exercise_id]
    solved = run_exercise(exercise_id, code["solution"])
    assert (solved["error"], solved["message"]) == (None, grader.PASS)
    started = run_exercise(exercise_id, code["starter"])
    assert started["passed"] is False
    assert started["message"].startswith(grader.WRONG)


def test_follow_up_answers_are_computed_from_the_manifest(manifest):
    """A hard-coded answer that was right stops being right when the manifest changes."""
    sandbox.setup(json.dumps(manifest))
    names = sorted(n for n, e in manifest["models"].items() if e["is_lightweight"])
    hard_coded = f"answer = {names!r}\n"
    assert run_exercise("lightweight_names", hard_coded)["message"] == grader.PASS

    changed = copy.deepcopy(manifest)
    first = names[0]
    changed["models"][first]["params"] = changed["lightweight_rule"]["max_params"] + 1
    changed["models"][first]["is_lightweight"] = False
    sandbox.setup(json.dumps(changed))
    try:
        assert run_exercise("lightweight_names", hard_coded)["passed"] is False
        solution = exercises()["lightweight_names"]["solution"]
        assert run_exercise("lightweight_names", solution)["message"] == grader.PASS
    finally:
        sandbox.setup(json.dumps(manifest))


def test_wrong_follow_up_answers_say_what_is_wrong(loaded):
    result = run_exercise("lightweight_names", "answer = sorted(models)\n")
    assert result["message"].startswith(grader.WRONG) and "not lightweight" in result["message"]
    result = run_exercise("rule_function", "def is_light(p, m):\n    return p < rule['max_params'] and m < rule['max_macs']\n")
    assert result["passed"] is False and "is_light(" in result["message"]
    result = run_exercise("int8_savings", "answer = {n: m['bytes']['int8'] for n, m in models.items()}\n")
    assert result["passed"] is False and "fp32" in result["message"]
    result = run_exercise("pareto_front", "answer = ['not_a_model']\n")
    assert result["passed"] is False and "not a key" in result["message"]


def test_learner_errors_come_back_as_tracebacks(loaded):
    result = run_exercise("lesson", "print('before')\nmodels = {}\nmodels['ResNet']['is_lightweight']\n")
    assert result["passed"] is False and result["message"] == grader.RAISED
    assert result["stdout"] == "before\n"
    assert result["error"].startswith("Traceback (most recent call last):")
    assert 'File "<exercise>", line 3' in result["error"]
    assert result["error"].rstrip().endswith("KeyError: 'ResNet'")
    assert "sandbox.py" not in result["error"]  # only the learner's frames
    syntax = run_exercise("lesson", "models = {\n")
    assert "SyntaxError" in syntax["error"]


def test_console_echoes_values_and_keeps_its_namespace(loaded, manifest):
    def console(code):
        return json.loads(complete(sandbox.run_console(code)))

    assert console("models['resnet50']['params']")["stdout"] == f"{manifest['models']['resnet50']['params']!r}\n"
    assert console("x = 41")["stdout"] == ""
    assert console("x + 1")["stdout"] == "42\n"
    assert console("import sys; print('oops', file=sys.stderr)")["stderr"] == "oops\n"
    native = json.dumps(catalog.build_models_dict(manifest), sort_keys=True)
    assert console("import json; print(json.dumps(models, sort_keys=True))")["stdout"] == native + "\n"


def test_pareto_front_keeps_exactly_the_models_no_other_beats(loaded, manifest):
    real = catalog.build_models_dict(manifest)
    published = {n: m for n, m in real.items() if m["accuracy"] is not None}
    front = grader.pareto_front(real)
    # brute force, written differently: sort by MACs, keep each model more accurate than
    # every cheaper-or-equal one
    by_cost = sorted(published, key=lambda n: (published[n]["macs"], -published[n]["accuracy"]))
    best, expected = -1.0, []
    for n in by_cost:
        if published[n]["accuracy"] > best:
            expected.append(n)
            best = published[n]["accuracy"]
    assert front == sorted(expected)

    solution = exercises()["pareto_front"]["solution"]
    assert run_exercise("pareto_front", solution)["message"] == grader.PASS
    assert run_exercise("pareto_front", f"answer = {list(reversed(front))!r}\n")["passed"] is True
    # accuracy per MAC picks only the cheapest model: not the frontier when it has more
    cheapest = max(published, key=lambda n: published[n]["accuracy"] / published[n]["macs"])
    result = run_exercise("pareto_front", f"answer = [{cheapest!r}]\n")
    assert result["passed"] is (front == [cheapest])
    if len(front) > 1:
        assert "is missing" in result["message"]
    beaten = [n for n in published if n not in front]
    if beaten:
        result = run_exercise("pareto_front", f"answer = {front + beaten[:1]!r}\n")
        assert result["passed"] is False and "not on the frontier" in result["message"]
    result = run_exercise("pareto_front", f"answer = {front + front[:1]!r}\n")
    assert result["passed"] is False and "more than once" in result["message"]

"""Graders for docs/exercise.md: the lesson's exercise and the follow-ups on the manifest.

Every expected answer is computed here, at run time, from the manifest the page loaded
(through catalog.build_models_dict): nothing below is a stored result. A grader returns
(passed, message); the messages are the lesson notebook's own wording.
"""

import catalog

PASS = "Your code passes all of our tests, nice work!"
WRONG = "Your code produced the wrong result."
LESSON_WRONG = WRONG + " Looks like you did not add the 'is_lightweight' property properly for {}."
RAISED = "Your code stopped with an error before it could be graded: see the traceback below."
NO_LESSON_MODEL = (
    "This exercise cannot be graded here: the lesson's {key!r} is our {name!r} model, and this "
    "site was built without it, so there is no measurement to check your answer against."
)

_MISSING = object()


class Wrong(Exception):
    """Raised by a follow-up grader with the reason the answer is wrong."""


def namespace(exercise_id, models, manifest):
    """The globals the learner's code starts with: the real catalog for the follow-ups."""
    if exercise_id == "lesson":
        return {"__name__": "__main__"}  # the learner's code writes its own `models`
    return {"__name__": "__main__", "models": models, "rule": dict(manifest["lightweight_rule"])}


def grade_lesson(ns, real, manifest):
    for key, name in catalog.LESSON_MODELS.items():
        if name not in real:
            return False, NO_LESSON_MODEL.format(key=key, name=name)
    models = ns.get("models")
    # the notebook's checks, in its order: ResNet first, then MobileNet; the answer is the
    # manifest's measured verdict
    for key, name in catalog.LESSON_MODELS.items():
        expected = real[name]["is_lightweight"]
        entry = models.get(key) if isinstance(models, dict) else None
        if not isinstance(entry, dict) or "is_lightweight" not in entry.keys() or entry["is_lightweight"] != expected:
            return False, LESSON_WRONG.format(repr(key))
    return True, PASS


def _answer(ns, kind, what):
    answer = ns.get("answer", _MISSING)
    if answer is _MISSING:
        raise Wrong("Looks like you did not set `answer`.")
    if not isinstance(answer, kind):
        raise Wrong(f"`answer` should be {what}, not {type(answer).__name__}.")
    return answer


def grade_lightweight_names(ns, real, manifest):
    expected = sorted(name for name, m in real.items() if m["is_lightweight"])
    answer = _answer(ns, list, "a list of model names")
    for name in answer:
        if name not in real:
            raise Wrong(f"`answer` contains {name!r}, which is not a key of `models`.")
        if name not in expected:
            raise Wrong(f"`answer` contains {name!r}, which is not lightweight.")
    for name in expected:
        if name not in answer:
            raise Wrong(f"`answer` is missing {name!r}, which is lightweight.")
    if len(answer) != len(set(answer)):
        raise Wrong("`answer` lists a model more than once.")
    if answer != expected:
        raise Wrong("`answer` has the right names but is not in alphabetical order.")


def grade_rule_function(ns, real, manifest):
    fn = ns.get("is_light")
    if not callable(fn):
        raise Wrong("Looks like you did not define a function `is_light(params, macs)`.")
    max_params = manifest["lightweight_rule"]["max_params"]
    max_macs = manifest["lightweight_rule"]["max_macs"]
    # every model in the manifest, then the edges of the rule: on each limit and one past it
    cases = [(m["params"], m["macs"]) for m in real.values()] + [
        (max_params, max_macs), (max_params + 1, max_macs), (max_params, max_macs + 1),
        (max_params + 1, max_macs + 1), (1, 1),
    ]
    for params, macs in cases:
        expected = catalog.is_lightweight(params, macs)
        try:
            got = fn(params, macs)
        except Exception as exc:
            raise Wrong(f"is_light({params}, {macs}) raised {type(exc).__name__}: {exc}") from None
        if not isinstance(got, bool) or got != expected:
            raise Wrong(f"is_light({params}, {macs}) returned {got!r}; the rule says {expected!r}.")


def grade_int8_savings(ns, real, manifest):
    expected = {
        name: m["bytes"]["fp32"] - m["bytes"]["int8"]
        for name, m in real.items() if "fp32" in m["bytes"] and "int8" in m["bytes"]
    }
    answer = _answer(ns, dict, "a dictionary {model name: bytes saved}")
    for name in expected:
        if name not in answer:
            raise Wrong(f"`answer` has no entry for {name!r}.")
    for name in answer:
        if name not in expected:
            raise Wrong(f"`answer` has an entry for {name!r}, which is not a key of `models`.")
        if answer[name] != expected[name]:
            raise Wrong(
                f"`answer[{name!r}]` is {answer[name]!r}; it should be the fp32 file's bytes "
                f"minus the int8 file's bytes."
            )


def dominates(a, b):
    """True when model record `a` is at least as good as `b` on both accuracy and MACs, and
    strictly better on one of them."""
    return (a["accuracy"] >= b["accuracy"] and a["macs"] <= b["macs"]
            and (a["accuracy"] > b["accuracy"] or a["macs"] < b["macs"]))


def pareto_front(models):
    """Names of the models with a published accuracy that no other such model dominates."""
    published = {name: m for name, m in models.items() if m["accuracy"] is not None}
    return sorted(
        name for name, m in published.items()
        if not any(dominates(other, m) for o, other in published.items() if o != name)
    )


def grade_pareto_front(ns, real, manifest):
    expected = pareto_front(real)
    answer = _answer(ns, (list, tuple, set), "a list of model names")
    for name in answer:
        if not isinstance(name, str) or name not in real:
            raise Wrong(f"`answer` contains {name!r}, which is not a key of `models`.")
        if real[name]["accuracy"] is None:
            raise Wrong(f"`answer` contains {name!r}, which has no published accuracy.")
    if not isinstance(answer, set) and len(answer) != len(set(answer)):
        raise Wrong("`answer` lists a model more than once.")
    published = {n: m for n, m in real.items() if m["accuracy"] is not None}
    for name in answer:
        if name not in expected:
            better = next(o for o in sorted(published) if o != name and dominates(published[o], published[name]))
            raise Wrong(f"{name!r} is not on the frontier: {better!r} is at least as accurate "
                        "with no more MACs.")
    for name in expected:
        if name not in answer:
            raise Wrong(f"`answer` is missing {name!r}: no other model is both more accurate "
                        "and cheaper.")


FOLLOW_UPS = {
    "lightweight_names": grade_lightweight_names,
    "rule_function": grade_rule_function,
    "int8_savings": grade_int8_savings,
    "pareto_front": grade_pareto_front,
}


def grade(exercise_id, ns, real, manifest):
    """(passed, message) for the learner's namespace `ns` after their code ran."""
    if exercise_id == "lesson":
        return grade_lesson(ns, real, manifest)
    grader = FOLLOW_UPS.get(exercise_id)
    if grader is None:
        raise KeyError(f"unknown exercise {exercise_id!r}")
    try:
        grader(ns, real, manifest)
    except Wrong as why:
        return False, f"{WRONG} {why}"
    return True, PASS

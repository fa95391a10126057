"""Run a learner's Python inside Pyodide: capture its output, format its errors, grade it.

Loaded by site_app/py/pyodide-worker.js next to catalog.py (the exporter's own module) and
grader.py. Every entry point returns JSON text, so the worker hands plain data to the page.

Also runs natively, which is how tests/test_catalog.py checks it without a browser (with
lwm/catalog.py importable as `catalog` and site_app/py on sys.path):

    sandbox.setup(open("build/models/models.json").read())
    print(asyncio.run(sandbox.run_console("models['resnet50']['is_lightweight']")))
"""

import ast
import contextlib
import inspect
import io
import json
import linecache

import catalog
import grader

# A print loop that ends in time can still produce more text than a page should hold
MAX_OUTPUT_CHARS = 200_000

_manifest = None
_console_ns = None


def setup(manifest_text):
    """Parse the manifest once; the console starts with `models` built from it."""
    global _manifest
    _manifest = json.loads(manifest_text)
    reset_console()


def reset_console():
    global _console_ns
    _console_ns = {
        "__name__": "__main__",
        "models": catalog.build_models_dict(_manifest),
        "is_lightweight": catalog.is_lightweight,
        "rule": dict(_manifest["lightweight_rule"]),
    }


def _clip(text):
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + f"\n... output cut at {MAX_OUTPUT_CHARS:,} characters\n"


def _traceback(exc, filename):
    """The traceback a reader expects: their own frames only, none of this module's."""
    import traceback

    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


async def _execute(code, filename, ns, show_last_value):
    """exec `code` in `ns` with stdout/stderr captured; a final expression is echoed
    like the interactive prompt does when `show_last_value`. Top-level `await` works, as
    at Pyodide's own prompt (the worker awaits the returned coroutine)."""
    # linecache lets tracebacks quote the reader's lines (and point at them)
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    out, err = io.StringIO(), io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            tree = ast.parse(code, filename, "exec")
            last = None
            if show_last_value and tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            await _run(compile(tree, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT), ns)
            if last is not None:
                value = await _run(compile(last, filename, "eval", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT), ns)
                if value is not None:
                    print(repr(value))
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the reader's too
            error = _traceback(exc, filename)
    return {"stdout": _clip(out.getvalue()), "stderr": _clip(err.getvalue()), "error": error}


async def _run(code_object, ns):
    """eval a compiled block; one that uses top-level await compiles to a coroutine."""
    value = eval(code_object, ns)
    if code_object.co_flags & inspect.CO_COROUTINE:
        value = await value
    return value


async def run_console(code):
    """One console query in the console's namespace, which lasts until the page reloads."""
    return json.dumps(await _execute(code, "<console>", _console_ns, show_last_value=True))


async def run_exercise(exercise_id, code):
    """The learner's code in a fresh namespace, then the exercise's grader."""
    ns = grader.namespace(exercise_id, catalog.build_models_dict(_manifest), _manifest)
    result = await _execute(code, "<exercise>", ns, show_last_value=False)
    if result["error"] is not None:
        result.update(passed=False, message=grader.RAISED)
    else:
        # a fresh copy: whatever the learner did to their `models` cannot move the target
        expected_from = catalog.build_models_dict(_manifest)
        passed, message = grader.grade(exercise_id, ns, expected_from, _manifest)
        result.update(passed=passed, message=message)
    return json.dumps(result)


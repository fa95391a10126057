"""The import structure of export/ (the torch tier) and lwm/ (the torch-free tier), read
statically from the source with ast, so an import inside a function counts as much as one at
the top of a file:

- no import cycle among their modules;
- no private (underscore) name of one module imported or read by another;
- lwm/ imports nothing from export/, and importing it loads neither torch nor onnx;
- lwm/catalog.py and lwm/scaling.py, which Pyodide imports as top-level modules, import
  the standard library only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("export", "lwm")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of what ``from <node.module> import ...`` names in ``module``."""
    if not node.level:
        return node.module or ""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(imported project module, name taken from it or None, line) for every import in the
    file, wherever it stands (top level, function, TYPE_CHECKING block)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name in modules]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(module, path, node)
            for a in node.names:
                if f"{base}.{a.name}" in modules:  # from package import module
                    out.append((f"{base}.{a.name}", None, node.lineno))
                elif base in modules:
                    out.append((base, a.name, node.lineno))
    return out


def graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    g = {m: set() for m in modules}
    for m, path in modules.items():
        for target, _, _ in imports_of(m, path, modules):
            # importing export.models.x runs export/models/__init__.py and export/__init__.py
            # first, but those are the target's parents, not its dependents: count the target
            if target != m:
                g[m].add(target)
    return g


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``g`` as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(g[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (cycle := visit(n)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state and (cycle := visit(m)):
            return cycle
    return None


def test_find_cycle_sees_a_cycle_through_a_function_level_import(tmp_path):
    """The checker itself: a cycle that only closes inside a function is still a cycle."""
    (tmp_path / "a.py").write_text("from . import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from .a import g\n")
    mods = {"pkg.a": tmp_path / "a.py", "pkg.b": tmp_path / "b.py"}
    assert find_cycle(graph(mods)) == ["pkg.a", "pkg.b", "pkg.a"]
    (tmp_path / "b.py").write_text("def f():\n    pass\n")
    assert find_cycle(graph(mods)) is None


def test_no_import_cycle_among_export_and_lwm():
    cycle = find_cycle(graph(project_modules()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def private_uses(modules: dict[str, Path]) -> list[str]:
    """`from x import _name`, and `x._name` on an imported project module, across modules."""
    found = []
    for m, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        aliases = {}
        for target, name, line in imports_of(m, path, modules):
            if name is not None and name.startswith("_") and not name.startswith("__") and target != m:
                found.append(f"{where(path)}:{line} imports {target}.{name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update({(a.asname or a.name): a.name for a in node.names if a.name in modules and a.asname})
            elif isinstance(node, ast.ImportFrom):
                base = resolve(m, path, node)
                aliases.update({(a.asname or a.name): f"{base}.{a.name}" for a in node.names
                                if f"{base}.{a.name}" in modules})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{where(path)}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}")
    return found


def test_private_use_is_seen(tmp_path):
    (tmp_path / "a.py").write_text("def _secret():\n    pass\n")
    (tmp_path / "b.py").write_text("from .a import _secret\nfrom . import a\na._secret()\n")
    mods = {"pkg.a": tmp_path / "a.py", "pkg.b": tmp_path / "b.py"}
    assert len(private_uses(mods)) == 2


def test_no_private_name_imported_across_modules():
    assert private_uses(project_modules()) == []


def test_lwm_imports_nothing_from_export():
    modules = project_modules()
    wrong = [f"{m} imports {t}" for m, path in modules.items() if m.split(".")[0] == "lwm"
             for t, _, _ in imports_of(m, path, modules) if t.split(".")[0] == "export"]
    assert wrong == []


@pytest.mark.parametrize("name", ["catalog.py", "scaling.py"])
def test_the_modules_pyodide_runs_import_the_standard_library_only(name):
    """The site copies these into the page, where they are top-level modules: an import of
    lwm (absolute or relative) or of a third-party package would fail there."""
    tree = ast.parse((ROOT / "lwm" / name).read_text())
    imported = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    imported += [("." * n.level) + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    outside = [i for i in imported if i != "__future__" and i.split(".")[0] not in sys.stdlib_module_names]
    assert outside == []


def test_importing_lwm_loads_neither_torch_nor_onnx():
    names = sorted(m for m in project_modules() if m.split(".")[0] == "lwm")
    script = (f"import sys\nfor m in {names!r}: __import__(m)\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'onnx', 'onnxruntime', 'export')))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(names) >= 5 and done.stdout.strip() == "[]", (names, done.stdout)

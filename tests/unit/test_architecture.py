"""The layout holds what docs/architecture.md says: a pure core, no import cycle, short
functions. Read from the source (AST), so nothing is imported and every import counts,
including those inside functions and the strings given to __import__/import_module."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import legday_sync

PACKAGE = Path(legday_sync.__file__).resolve().parent
CORE = PACKAGE / "core"
#: the core may use the standard library's pure parts, itself, and a pure solver
CORE_MAY_IMPORT = {"ortools"}
#: standard-library modules that do I/O, reach the clock's outside world or run processes
IMPURE_STDLIB = {"sqlite3", "socket", "http", "urllib", "subprocess", "logging", "os",
                 "shutil", "tempfile", "io", "pathlib", "threading", "asyncio", "signal",
                 "ssl", "select", "selectors", "multiprocessing", "concurrent", "email",
                 "smtplib", "ftplib", "webbrowser", "glob", "fcntl", "mmap", "pickle",
                 "shelve", "dbm", "sys", "platform", "random", "secrets", "time", "uuid",
                 "zipfile", "tarfile", "gzip", "ctypes", "wsgiref", "xmlrpc", "importlib"}
MAX_LINES = 80
#: the one exception, by decision: the core reads its own vocabulary files, shipped inside the
#: package and read-only, on first use (importlib.resources). They are the core's code written
#: as data (a language is added by adding a file), not the user's world: no path, clock or
#: network reaches them, and the same wheel always gives the same words. Anything else fails.
KNOWN_CORE_IO = {("legday_sync.core.vocabulary", "importlib")}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports(module: str, path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module ``path`` imports: statements anywhere (or only at module level, outside
    `if TYPE_CHECKING:`), and string arguments of __import__ / importlib.import_module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    nodes = _top_level(tree.body) if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, is_package, node.level, node.module)
            found.add(base)
            # `from . import x` / `from .pkg import mod`: the names may be modules
            found |= {f"{base}.{a.name}" for a in node.names}
        elif (not top_level_only and isinstance(node, ast.Call)
              and _called(node) in ("__import__", "import_module") and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def _called(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _top_level(body: list[ast.stmt]) -> Iterator[ast.AST]:
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue  # for type checkers only: never runs
        if isinstance(node, ast.If | ast.Try):
            yield from _top_level(node.body)
            for h in getattr(node, "handlers", []):
                yield from _top_level(h.body)
            yield from _top_level(node.orelse)
        else:
            yield node


def test_the_core_imports_nothing_of_the_shell_and_no_io() -> None:
    offenders = []
    for module, path in modules():
        if not module.startswith("legday_sync.core"):
            continue
        for name in imports(module, path):
            root = name.split(".")[0]
            if name.startswith("legday_sync."):
                if not name.startswith("legday_sync.core"):
                    offenders.append(f"{module} imports the shell's {name}")
            elif root == "__future__" or root in CORE_MAY_IMPORT or (module, root) in KNOWN_CORE_IO:
                continue
            elif root in IMPURE_STDLIB or root not in sys.stdlib_module_names:
                offenders.append(f"{module} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_the_import_check_sees_hidden_imports(tmp_path: Path) -> None:
    """It would catch a function-level import and an __import__ string."""
    p = tmp_path / "m.py"
    p.write_text("def f():\n    import sqlite3\n    __import__('legday_sync.service')\n"
                 "    from ..adapters import state\n")
    got = imports("legday_sync.core.m", p)
    assert {"sqlite3", "legday_sync.service", "legday_sync.adapters.state"} <= got


def test_no_import_cycle_in_the_package() -> None:
    known = dict(modules())
    graph = {m: {i for i in imports(m, p, top_level_only=True) if i in known}
             for m, p in known.items()}
    # a package's __init__ importing its own submodule is not a cycle
    for m, deps in graph.items():
        deps.discard(m)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycles.append([*stack[stack.index(d):], d])
            elif d not in state:
                visit(d, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def long_functions(root: Path) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_LINES and not _is_template(node):
                    out.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name} "
                               f"({length} lines)")
    return out


def _is_template(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A text template: most of its lines are string literals (HTML, TOML, roff)."""
    lines: set[int] = set()
    for node in ast.walk(fn):
        text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if text or isinstance(node, ast.JoinedStr):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return len(lines) > 0.6 * ((fn.end_lineno or fn.lineno) - fn.lineno + 1)


def test_no_function_is_over_80_lines_outside_text_templates() -> None:
    assert not long_functions(PACKAGE), "\n".join(long_functions(PACKAGE))

"""Static checks on the package source: SQL and sqlite3 stay behind trackio/storage/,
and the modules import each other without cycles."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "trackio"
STORAGE = PACKAGE / "storage"


def _python_files():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _outside_storage(path):
    return STORAGE not in path.parents


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test):
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _module_level_imports(statements):
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level_imports(node.body)
            yield from _module_level_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _module_level_imports(block)
            for handler in node.handlers:
                yield from _module_level_imports(handler.body)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            yield from _module_level_imports(node.body)


def _import_targets(node, module, is_package, known):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module
    submodules = [f"{base}.{alias.name}" for alias in node.names]
    return [base, *(name for name in submodules if name in known)]


def _import_graph():
    files = {_module_name(path): path for path in _python_files()}
    graph = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        edges = set()
        for node in _module_level_imports(tree.body):
            edges.update(
                target
                for target in _import_targets(node, module, is_package, files)
                if target in files and target != module
            )
        graph[module] = sorted(edges)
    return graph


def _find_cycle(graph):
    state = {}
    stack = []

    def visit(module):
        state[module] = "open"
        stack.append(module)
        for target in graph[module]:
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module)
            if found:
                return found
    return None


def test_no_sql_is_executed_outside_storage():
    offending = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in _python_files()
        if _outside_storage(path)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "execute(" in line
    ]
    assert not offending, "SQL executed outside trackio/storage/:\n" + "\n".join(offending)


def test_no_module_outside_storage_imports_sqlite3():
    offending = []
    for path in _python_files():
        if not _outside_storage(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            if any(name == "sqlite3" or name.startswith("sqlite3.") for name in names):
                offending.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not offending, "sqlite3 imported outside trackio/storage/: " + ", ".join(offending)


def test_module_level_imports_have_no_cycle():
    graph = _import_graph()
    assert graph["trackio"], "the package __init__ imports nothing: the graph is not read"
    assert any(t.startswith("trackio.storage.") for targets in graph.values() for t in targets)
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_reports_a_cycle():
    assert _find_cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": []}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": ["b"], "b": [], "c": ["a", "b"]}) is None

"""The project's packages import only downwards (the layer table below) and never in a
circle, read from the source with `ast`: the imports a module runs when it is loaded
(module level, including `if`/`try` blocks and TYPE_CHECKING), collapsed to packages
(bridge.web, bridge.admin, bridge.journal, ...; a top-level module such as
bridge.translate is a package of its own here).
"""
import ast
import sys
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("legacy_qs", "bridge")
ANY = "any"

# package -> (project packages it may import, third-party libraries it may import); the
# same table is in bridge/__init__.py. A new package needs a row here.
_PURE = ((), ())
LAYERS = {
    "legacy_qs": _PURE,
    "bridge": _PURE,
    "bridge.passwords": _PURE,
    "bridge.metrics": ((), ("prometheus_client",)),
    "bridge.salelog": (("bridge.metrics",), ()),
    "bridge.reasons": _PURE,
    "bridge.spreadsheet": _PURE,
    "bridge.config": (("bridge.passwords",), ()),
    "bridge.translate": (("legacy_qs", "bridge.config"), ()),
    "bridge.astro": (("bridge.config", "bridge.metrics"), ("requests", "urllib3")),
    "bridge.journal": (("legacy_qs", "bridge.metrics", "bridge.reasons", "bridge.translate"),
                       ("psycopg", "psycopg_pool")),
    "bridge.intake": (("legacy_qs", "bridge.config", "bridge.journal", "bridge.translate"), ()),
    "bridge.delivery": (("bridge.astro", "bridge.config", "bridge.journal", "bridge.reasons",
                        "bridge.salelog", "bridge.translate"), ()),
    "bridge.redeem": (("bridge.astro", "bridge.journal", "bridge.reasons"), ()),
    "bridge.replay": (("legacy_qs", "bridge.astro", "bridge.config", "bridge.delivery",
                       "bridge.intake", "bridge.journal", "bridge.reasons", "bridge.salelog",
                       "bridge.spreadsheet", "bridge.translate"), ("click",)),
    "bridge.migrate": (("legacy_qs", "bridge.astro", "bridge.config", "bridge.intake",
                        "bridge.journal", "bridge.passwords", "bridge.reasons",
                        "bridge.salelog", "bridge.translate"), ("requests",)),
    "bridge.webbase": (("bridge.config",), ("bottle",)),
    "bridge.web": (("legacy_qs", "bridge.astro", "bridge.config", "bridge.delivery",
                    "bridge.intake", "bridge.journal", "bridge.metrics", "bridge.migrate",
                    "bridge.passwords", "bridge.reasons", "bridge.redeem", "bridge.salelog",
                    "bridge.translate", "bridge.webbase"),
                   ("bottle", "waitress")),
    "bridge.admin": (("legacy_qs", "bridge.astro", "bridge.config", "bridge.delivery",
                      "bridge.intake", "bridge.journal", "bridge.migrate", "bridge.passwords",
                      "bridge.reasons", "bridge.redeem", "bridge.salelog",
                      "bridge.spreadsheet", "bridge.translate", "bridge.webbase"),
                     ("bottle",)),
    "bridge.app": (("bridge.admin", "bridge.astro", "bridge.config", "bridge.journal",
                    "bridge.migrate", "bridge.web", "bridge.webbase"), ("bottle",)),
    "bridge.sandbox": (("legacy_qs",), ("bottle", "requests", "waitress")),
    "bridge.cli": (ANY, ANY),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PROJECT:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def package_of(module: str) -> str:
    """The layer-table package of a project module."""
    parts = module.split(".")
    return parts[0] if parts[0] != "bridge" or len(parts) == 1 else ".".join(parts[:2])


def _load_time_nodes(tree: ast.AST):
    """The nodes run when the module is loaded: not the bodies of functions."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(child for child in ast.iter_child_nodes(node) if not isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))


def _imported(module: str, node: ast.AST) -> list[str]:
    """Full names of what an import statement of `module` loads."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = module.split(".")
        if MODULES[module].name != "__init__.py":
            package = package[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join(package + ([node.module] if node.module else []))
    # `from bridge import translate` loads the module bridge.translate.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def imports(*, in_functions: bool = False) -> dict[str, set[tuple[str, int]]]:
    """module -> {(imported name, line)}: what it imports when loaded, or (in_functions)
    only what its functions import."""
    result = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        nodes = set(_load_time_nodes(tree))
        if in_functions:
            nodes = set(ast.walk(tree)) - nodes
        result[module] = {(name, node.lineno) for node in nodes
                          for name in _imported(module, node)}
    return result


def _is_project(name: str) -> bool:
    return name.split(".")[0] in PROJECT


def _third_party(name: str) -> str | None:
    top = name.split(".")[0]
    return None if top in PROJECT or top in sys.stdlib_module_names or top == "__future__" \
        else top


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> {imported package: ["module:line", ...]} between different packages."""
    graph: dict[str, dict[str, list[str]]] = {}
    for module, names in imports().items():
        edges = graph.setdefault(package_of(module), {})
        for name, line in sorted(names):
            if _is_project(name) and package_of(name) != package_of(module):
                edges.setdefault(package_of(name), []).append(f"{module}:{line}")
    return graph


def _cycle(graph: dict[str, set[str]] | dict[str, dict]) -> list[str] | None:
    """One circle of the graph (as a path that ends where it starts), or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_packages_import_each_other_in_no_circle():
    graph = package_graph()
    circle = _cycle(graph)
    if circle:
        where = [f"{a} -> {b} ({', '.join(graph[a][b])})" for a, b in pairwise(circle)]
        raise AssertionError("import circle between packages:\n" + "\n".join(where))


def test_every_package_has_a_row_in_the_layer_table():
    assert set(package_graph()) - set(LAYERS) == set()


def test_the_layer_table_itself_points_only_down():
    assert _cycle({p: set(deps) if deps != ANY else set() for p, (deps, _) in LAYERS.items()}
                  ) is None


def test_packages_import_only_what_their_layer_allows():
    wrong = []
    for package, edges in package_graph().items():
        allowed = LAYERS.get(package, ((), ()))[0]
        if allowed != ANY:
            wrong += [f"{package} -> {dep} ({', '.join(edges[dep])})" for dep in edges
                      if dep not in allowed]
    assert not wrong, "imports against the layer table:\n" + "\n".join(wrong)


def test_packages_use_only_the_third_party_libraries_their_layer_allows():
    wrong = []
    for module, names in imports().items():
        allowed = LAYERS.get(package_of(module), ((), ()))[1]
        for name, line in sorted(names):
            library = _third_party(name)
            if library and allowed != ANY and library not in allowed:
                wrong.append(f"{module}:{line} imports {library}")
    assert not wrong, "libraries against the layer table:\n" + "\n".join(wrong)


def test_no_project_import_hides_in_a_function_outside_the_cli():
    # An import inside a function is invisible above and can hide a cycle. The CLI does
    # it for start-up cost only.
    exempt = ("bridge.cli",)
    hidden = [f"{module}:{line} imports {name}"
              for module, names in imports(in_functions=True).items()
              if package_of(module) not in exempt
              for name, line in sorted(names) if _is_project(name)]
    assert not hidden, "imports inside functions:\n" + "\n".join(hidden)

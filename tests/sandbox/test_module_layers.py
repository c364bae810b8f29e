"""The sandbox's modules point one way: counting every import (module level, inside a
function, under TYPE_CHECKING), none leads back to the module that made it."""
import ast
from pathlib import Path

import bridge.sandbox

PACKAGE = "bridge.sandbox"


def _imports(path: Path) -> set[str]:
    """The sandbox modules `path` imports, wherever the import stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == PACKAGE:
            found |= {f"{PACKAGE}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE + "."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(PACKAGE + ".")}
    return found


def test_sandbox_modules_import_one_way():
    folder = Path(bridge.sandbox.__file__).parent
    graph = {f"{PACKAGE}.{p.stem}": _imports(p) for p in folder.glob("*.py")
             if p.stem != "__init__"}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, "import circle: " + " -> ".join(path + [module])
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])

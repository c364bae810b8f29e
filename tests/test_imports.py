"""Every module of the project imports on its own, in a fresh interpreter.

The suite itself imports modules in whatever order the tests happen to, so an import
cycle that breaks only when one particular module is imported first (as `import
bridge.admin` did) hides there. Here each module is imported first thing in a process
of its own: one spawner interpreter (the third-party libraries preloaded, no module of
the project) forks one child per module, and each child imports only that module.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("legacy_qs", "bridge")


def project_modules() -> list[str]:
    """Every module of legacy_qs and bridge, as dotted names, found on disk."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


# Runs in the spawner: forks a child per module (as many at once as there are cores);
# the child imports it and reports the last line of the traceback (or "ok") through a
# pipe.
SPAWNER = r"""
import json, os, sys, traceback
import bottle, click, requests, waitress  # third-party only: no module of the project
assert not [m for m in sys.modules if m.split(".")[0] in ("bridge", "legacy_qs")]

def spawn(name):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            __import__(name)
            answer = "ok"
        except BaseException:
            answer = "".join(traceback.format_exc(limit=-3))
        os.write(write, answer.encode("utf-8", "replace"))
        os._exit(0)
    os.close(write)
    return pid, read

def collect(name, pid, read):
    with os.fdopen(read, "rb") as pipe:
        results[name] = pipe.read().decode("utf-8")
    os.waitpid(pid, 0)

results, running = {}, []
for name in json.loads(sys.argv[1]):
    if len(running) >= (os.cpu_count() or 1):
        collect(*running.pop(0))
    running.append((name, *spawn(name)))
for child in running:
    collect(*child)
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def import_results() -> dict[str, str]:
    done = subprocess.run([sys.executable, "-c", SPAWNER, json.dumps(project_modules())],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("module", project_modules())
def test_module_imports_first_in_a_fresh_interpreter(module, import_results):
    if import_results[module] != "ok":
        pytest.fail(import_results[module], pytrace=False)

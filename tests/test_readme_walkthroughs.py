"""The README's walk-throughs (replaying past purchases, the phased migration) run as
written, in a scratch folder, next to whatever already listens on the ports they show:
they take their ports from SANDBOX_PORT and BRIDGE_PORT, set here to free ones.

The one liberty taken: each `sleep 2` that waits for a server to start waits instead
until its port answers (a loaded machine may take longer than two seconds). Every output
line the README shows must come out, in order (ports as chosen, receipt tokens aside).
"""
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("## Replaying past purchases", "## Phased migration")
_TOKEN = re.compile(r"\?t=[\w-]+")


def walkthrough() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown after it) of the README's walk-throughs."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    steps: list[tuple[str, list[str]]] = []
    for section in SECTIONS:
        body = text.split(section, 1)[1].split("\n## ", 1)[0]
        block = body.split("```\n", 2)[1]
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


def test_the_walkthroughs_run_as_written_on_any_free_ports(tmp_path):
    steps = walkthrough()
    first = steps[0][0]
    assert first.startswith("SANDBOX_PORT=8765 BRIDGE_PORT=8080"), first
    sandbox_port, bridge_port = free_port(), free_port()
    for name in (".venv", "scripts", "config"):
        (tmp_path / name).symlink_to(ROOT / name)
    # Whatever happens, no server outlives the script.
    prelude = ["trap 'kill $(jobs -p) 2>/dev/null' EXIT",
               'up() { for i in $(seq 300); do curl -s -o /dev/null "http://127.0.0.1:$1/" '
               '&& return; sleep 0.1; done; echo "port $1: nothing listens"; exit 1; }']
    commands = prelude + [f"SANDBOX_PORT={sandbox_port} BRIDGE_PORT={bridge_port}"]
    for command, _ in steps[1:]:
        port = "$SANDBOX_PORT" if " sandbox " in command else "$BRIDGE_PORT"
        commands.append(command.replace("; sleep 2", f"; up {port}"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("ASTRO_BRIDGE_CONFIG", None)
    # Not `bash -e`: some commands shown exit 1 on purpose (migrate report: not ready).
    # A session of its own, so a run cut off by the timeout takes its servers along.
    script = subprocess.Popen(["bash", "-c", "\n".join(commands)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        stdout, stderr = script.communicate(timeout=120)
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.communicate()
    wanted = [_TOKEN.sub("", line.replace(":8765", f":{sandbox_port}")
                         .replace(":8080", f":{bridge_port}"))
              for _, shown in steps for line in shown]
    got = iter(_TOKEN.sub("", line) for line in stdout.splitlines())
    missing = [line for line in wanted if not any(line == seen for seen in got)]
    assert not missing, f"not in the output (in order): {missing}\n{stdout}\n{stderr}"

"""A sandbox Astro whose seed can change while the bridge keeps running: it restarts on
the same port with the same state file, the way a store changes its Astro account
(enrolling in a program) while the bridge is up."""
import re
from importlib import resources
from pathlib import Path

from bridge.sandbox.server import SandboxServer


class RestartableSandbox:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.state_path = self.folder / "sandbox-state.sqlite"
        self.seed_text = resources.files("bridge.sandbox").joinpath("default.toml").read_text()
        self.server = self._start(port=0)

    def _start(self, port: int) -> SandboxServer:
        seed = self.folder / "sandbox-seed.toml"
        seed.write_text(self.seed_text)
        return SandboxServer(config_path=seed, state_path=self.state_path, port=port).start()

    @property
    def api_url(self) -> str:
        return self.server.api_url

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def state(self) -> dict:
        return self.server.state()

    def enrol(self, program_id: int) -> None:
        """Enrol the store in the program (a seed change): restart with the new seed."""
        block = re.compile(r"(\[\[programs\]\]\s*\nid = %d\n.*?enrolled = )false" % program_id,
                           re.S)
        self.seed_text, n = block.subn(r"\1true", self.seed_text, count=1)
        assert n == 1, f"program {program_id} is not a not-enrolled program of the seed"
        port = self.server.port
        self.server.stop()
        self.server = self._start(port=port)

    def stop(self) -> None:
        self.server.stop()

"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a free
loopback port, its unix socket in that folder, stopped and removed at the end.

PostgreSQL refuses to run as root. When the tests run as root (CI on this machine does),
the cluster runs as the system user `postgres` (made by Debian's postgresql package,
which .ci/run installs), or `nobody` where that user is missing; the temporary folder
is made theirs. The binaries are looked for in /usr/lib/postgresql/<version>/bin
(Debian keeps them off PATH), then on PATH.

Tests get a schema of their own in the one database (`new_url()`): creating a schema is
instant, a database is not.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for folder in sorted(glob.glob(DEBIAN_BINARIES), reverse=True):
        if os.access(os.path.join(folder, "initdb"), os.X_OK):
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The unprivileged user to run the server as, when this is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither user postgres nor nobody exists")


class PostgresCluster:
    """One running cluster; `url(database)` and `new_url()` for clients."""

    SUPERUSER = "astro"
    DATABASE = "astro_bridge"

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.user = _run_as()
        self.dir = Path(tempfile.mkdtemp(prefix="astro-bridge-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self._schemas = 0
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self._pg("initdb", "-D", self.data, "-U", self.SUPERUSER, "--auth=trust",
                 "--no-sync", "-E", "UTF8", "--locale=C")
        # Durability is the journal's contract, not what these tests measure: fsync off
        # keeps them fast on a shared machine.
        self._pg("pg_ctl", "-D", self.data, "-l", self.dir / "server.log", "-w", "-t", "60",
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
                       f" -c fsync=off -c max_connections=200", "start")
        self.psql("CREATE DATABASE " + self.DATABASE, database="postgres")

    def _pg(self, program: str, *args) -> str:
        done = subprocess.run([str(self.bin / program), *map(str, args)], user=self.user,
                              cwd=self.dir, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run `sql` with psql as the superuser; its output (unaligned, no headers)."""
        return self._pg("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                        "-h", "127.0.0.1", "-p", self.port, "-U", self.SUPERUSER,
                        "-d", database or self.DATABASE, "-c", sql)

    def url(self, database: str | None = None) -> str:
        return (f"postgresql://{self.SUPERUSER}@127.0.0.1:{self.port}/"
                f"{database or self.DATABASE}")

    def new_url(self) -> str:
        """The URL of a new, empty schema of its own (the search path set to it)."""
        self._schemas += 1
        schema = f"t{os.getpid()}_{self._schemas}"
        self.psql(f"CREATE SCHEMA {schema}")
        return f"{self.url()}?options=-csearch_path%3D{schema}"

    def stop(self) -> None:
        try:
            self._pg("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_cluster(bin_dir: Path, tries: int = 3) -> PostgresCluster:
    """A running cluster (a port taken meanwhile by someone else: tried again)."""
    for attempt in range(tries):
        try:
            return PostgresCluster(bin_dir)
        except RuntimeError:
            if attempt + 1 == tries:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")

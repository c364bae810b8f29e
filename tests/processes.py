"""A command of the bridge run as a real process by the tests: its output (stdout and
stderr together) read line by line as it comes, stopped by a signal, always reaped.

However the test run was started, the command gets the default SIGINT handling (a test
run started as a background job of a shell ignores SIGINT, and children inherit that),
unless the test asks for SIGINT ignored, to see that the command handles it itself.
Tests start them through the `processes` fixture (tests/conftest.py), whose finalizer
kills and reaps every one still running.
"""
import queue
import signal
import subprocess
import sys
import threading
import time

# Runs argv[1:] with SIGINT set as asked by argv[1], by exec: the same process.
_LAUNCHER = ("import os, signal, sys; signal.signal(signal.SIGINT, "
             "signal.SIG_IGN if sys.argv[1] == 'ignored' else signal.SIG_DFL); "
             "os.execvp(sys.argv[2], sys.argv[2:])")


class CommandProcess:
    """`argv` running in `cwd`; a context manager that kills it if still running."""

    def __init__(self, argv, *, cwd=None, env=None, sigint_ignored=False):
        launch = [sys.executable, "-c", _LAUNCHER, "ignored" if sigint_ignored else "default"]
        self.proc = subprocess.Popen(launch + [str(a) for a in argv], cwd=cwd, env=env,
                                     text=True, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines: queue.Queue = queue.Queue()
        self.output: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_line(self, prefix: str, timeout: float = 15.0) -> str:
        """The rest of the first line (from now on) that starts with `prefix`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        raise AssertionError(f"no line {prefix!r} in {''.join(self.output)}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send `sig` and wait for the exit status (killed after `timeout`)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        """Kill the process if it still runs; then `output` holds all it wrote."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        self.proc.stdout.close()

    @property
    def text(self) -> str:
        """Everything it wrote so far."""
        return "".join(self.output)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

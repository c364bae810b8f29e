"""Races set up exactly: a real AstroClient that runs a test's hook at a chosen point of
its conversation with Astro, so "another register acts while the bridge waits for
Astro" happens every time at that point, without sleeps or injected latency."""
from bridge.astro import AstroClient


class HookedClient(AstroClient):
    """An AstroClient (nothing replaced: every call goes to Astro as usual) that runs
    `before[endpoint]()` once, just before the first call of that endpoint is sent, and
    `after[endpoint]()` once, right after the first answer of it came back."""

    def __init__(self, *args, before=None, after=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._before, self._after = dict(before or {}), dict(after or {})

    def call(self, endpoint, payload=None):
        hook = self._before.pop(endpoint, None)
        if hook is not None:
            hook()
        answer = super().call(endpoint, payload)
        hook = self._after.pop(endpoint, None)
        if hook is not None:
            hook()
        return answer

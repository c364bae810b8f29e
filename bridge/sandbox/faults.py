"""Fault injection: which call gets slowed down, refused, hung, rate limited or has its
answer dropped. The JSON accepted here is documented in the bridge.sandbox docstring."""
from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("status", "hang", "drop", "rate_limit", "latency", "answer")
ENDPOINT_KEYS = {"latency", "error_rate", "error_status", "work_error_rate", "hang_rate",
                 "hang_seconds", "hang_work", "drop_rate", "rate_limit_rate", "retry_after"}
NEXT_KEYS = {"endpoint", "count", "fault", "status", "seconds", "work", "retry_after", "body"}
# What a wrong base_url or a proxy in the way answers: a web page, not Astro's envelope.
HTML_NOT_FOUND = "<html><head><title>404 Not Found</title></head><body>Not Found</body></html>"
TOP_KEYS = {"seed", "token_ttl", "endpoints", "next"}


class FaultSpecError(ValueError):
    """The fault JSON is not what the docstring describes (one line saying why)."""


@dataclass(frozen=True)
class Decision:
    """What to do to one call. kind None: answer normally (after `latency` seconds)."""
    latency: float = 0.0
    kind: str | None = None
    status: int = 500
    seconds: float = 0.0
    work: bool = False
    retry_after: int = 1
    body: str | None = None      # kind "answer": this body instead of Astro's answer


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise FaultSpecError(f"{what} must be a number >= 0")
    return float(value)


def _check_endpoint(name: str, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise FaultSpecError(f"endpoints.{name} must be an object")
    unknown = set(spec) - ENDPOINT_KEYS
    if unknown:
        raise FaultSpecError(f"endpoints.{name}: unknown key {sorted(unknown)[0]}")
    lat = spec.get("latency")
    if isinstance(lat, list):
        if len(lat) != 2 or _number(lat[0], "latency") > _number(lat[1], "latency"):
            raise FaultSpecError(f"endpoints.{name}.latency: [min, max] with min <= max")
    elif lat is not None:
        _number(lat, f"endpoints.{name}.latency")
    for key in ("error_rate", "work_error_rate", "hang_rate", "drop_rate", "rate_limit_rate"):
        if key in spec and not 0 <= _number(spec[key], key) <= 1:
            raise FaultSpecError(f"endpoints.{name}.{key} must be between 0 and 1")
    statuses = spec.get("error_status", [500, 503])
    if not isinstance(statuses, list):
        statuses = [statuses]
    if not statuses or not all(isinstance(s, int) and 400 <= s <= 599 for s in statuses):
        raise FaultSpecError(f"endpoints.{name}.error_status: HTTP status(es) 400-599")
    return spec


def _check_next(rule: Any) -> dict[str, Any]:
    if not isinstance(rule, dict):
        raise FaultSpecError("next[] entries must be objects")
    unknown = set(rule) - NEXT_KEYS
    if unknown:
        raise FaultSpecError(f"next[]: unknown key {sorted(unknown)[0]}")
    if rule.get("fault") not in KINDS:
        raise FaultSpecError(f"next[].fault must be one of {', '.join(KINDS)}")
    if not isinstance(rule.get("endpoint"), str):
        raise FaultSpecError("next[].endpoint must be an endpoint name or '*'")
    count = rule.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise FaultSpecError("next[].count must be an integer >= 1")
    status = rule.get("status", 500)
    low = 200 if rule.get("fault") == "answer" else 400
    if not isinstance(status, int) or not low <= status <= 599:
        raise FaultSpecError(f"next[].status must be an HTTP status {low}-599")
    _number(rule.get("seconds", 0), "next[].seconds")
    if not isinstance(rule.get("body", ""), str):
        raise FaultSpecError("next[].body must be a string")
    _number(rule.get("retry_after", 1), "next[].retry_after")
    return {**rule, "count": count}


class Faults:
    """The active fault settings and the seeded RNG behind the random shares."""

    def __init__(self, initial: dict[str, Any] | None = None):
        self._lock = threading.Lock()
        self._initial = copy.deepcopy(initial or {})
        self.clear()
        if initial:
            self.merge(initial)

    def clear(self) -> None:
        """No faults at all (token_ttl back to the account's own)."""
        with self._lock:
            self._spec: dict[str, Any] = {"seed": 0, "token_ttl": None, "endpoints": {},
                                          "next": []}
            self._rng = random.Random(0)

    def reset(self) -> None:
        """Back to the faults of the seed file."""
        self.clear()
        if self._initial:
            self.merge(self._initial)

    def merge(self, doc: Any) -> dict[str, Any]:
        """Merge a fault document: endpoints merge key by key, `next` rules are appended,
        `seed` and `token_ttl` replace. Raises FaultSpecError, changing nothing."""
        if not isinstance(doc, dict):
            raise FaultSpecError("the fault document must be a JSON object")
        unknown = set(doc) - TOP_KEYS
        if unknown:
            raise FaultSpecError(f"unknown key {sorted(unknown)[0]}")
        endpoints = doc.get("endpoints", {})
        if not isinstance(endpoints, dict):
            raise FaultSpecError("endpoints must be an object")
        checked = {name: _check_endpoint(name, spec) for name, spec in endpoints.items()}
        rules = doc.get("next", [])
        if not isinstance(rules, list):
            raise FaultSpecError("next must be a list")
        rules = [_check_next(r) for r in rules]
        ttl = doc.get("token_ttl")
        if ttl is not None:
            _number(ttl, "token_ttl")
        seed = doc.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise FaultSpecError("seed must be an integer")
        with self._lock:
            for name, spec in checked.items():
                self._spec["endpoints"].setdefault(name, {}).update(spec)
            self._spec["next"].extend(rules)
            if "token_ttl" in doc:
                self._spec["token_ttl"] = ttl
            if seed is not None:
                self._spec["seed"] = seed
                self._rng = random.Random(seed)
            return copy.deepcopy(self._spec)

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._spec)

    def token_ttl(self) -> float | None:
        with self._lock:
            return self._spec["token_ttl"]

    def decide(self, endpoint: str) -> Decision:
        """The fault for one call of `endpoint`: a pending `next` rule first, else the
        endpoint's random shares (the endpoint's own keys over those of "*")."""
        with self._lock:
            spec = {**self._spec["endpoints"].get("*", {}),
                    **self._spec["endpoints"].get(endpoint, {})}
            latency = self._latency(spec.get("latency"))
            for rule in self._spec["next"]:
                if rule["endpoint"] in (endpoint, "*") and rule["count"] > 0:
                    rule["count"] -= 1
                    if rule["count"] == 0:
                        self._spec["next"].remove(rule)
                    return self._from_rule(rule, latency)
            rng = self._rng
            if rng.random() < spec.get("rate_limit_rate", 0):
                return Decision(latency, "rate_limit", retry_after=spec.get("retry_after", 1))
            if rng.random() < spec.get("error_rate", 0):
                statuses = spec.get("error_status", [500, 503])
                statuses = statuses if isinstance(statuses, list) else [statuses]
                return Decision(latency, "status", status=rng.choice(statuses))
            if rng.random() < spec.get("work_error_rate", 0):
                return Decision(latency, "status", status=500, work=True)
            if rng.random() < spec.get("hang_rate", 0):
                return Decision(latency, "hang", seconds=spec.get("hang_seconds", 30),
                                work=spec.get("hang_work", True))
            if rng.random() < spec.get("drop_rate", 0):
                return Decision(latency, "drop", work=True)
            return Decision(latency)

    def _latency(self, lat: Any) -> float:
        if isinstance(lat, list):
            return self._rng.uniform(lat[0], lat[1])
        return float(lat or 0)

    @staticmethod
    def _from_rule(rule: dict[str, Any], latency: float) -> Decision:
        kind = rule["fault"]
        if kind == "latency":
            return Decision(latency + rule.get("seconds", 0))
        if kind == "answer":
            return Decision(latency, kind, status=rule.get("status", 404),
                            body=rule.get("body", HTML_NOT_FOUND))
        return Decision(latency, kind, status=rule.get("status", 500),
                        seconds=rule.get("seconds", 30),
                        work=rule.get("work", kind in ("hang", "drop")),
                        retry_after=int(rule.get("retry_after", 1)))

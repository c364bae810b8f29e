"""The one error the legacy query-string parser raises."""
from __future__ import annotations

# Values quoted in an error message are cut to this many characters, so that a
# megabyte-long parameter still gives a one-line, readable message.
_SHOWN_CHARS = 40
_REDACTED = "***"


def _show(value: str) -> str:
    if len(value) > _SHOWN_CHARS:
        value = value[:_SHOWN_CHARS] + "..."
    return repr(value)


class LegacyQSError(ValueError):
    """A legacy sale URL that cannot be accepted.

    `.param` names the offending parameter (canonical casing for the documented
    ones), `.problem` says what is wrong; ``str(e) == f"{param}: {problem}"``.
    The text never contains the sale's password: `parse` redacts it. `.limit` names
    the store's limit a value is beyond (`max_qty`, `max_subtotal`), else None.
    """

    def __init__(self, param: str, problem: str, *, got: str | None = None,
                 limit: str | None = None):
        self.param = param
        self.limit = limit
        self.problem = problem if got is None else f"{problem}, got {_show(got)}"
        # Kept apart so the password can be removed before the value is cut short
        # (cutting first could leave half a password in the message).
        self._reason = problem
        self._got = got
        super().__init__(f"{self.param}: {self.problem}")

    def redacted(self, secrets, *, param_is_name: bool = True) -> "LegacyQSError":
        """The same error with each user-supplied text that contains one of `secrets`
        replaced whole by ``***``.

        Only user text is touched: the quoted value (``got``) and, unless
        `param_is_name` says it is a documented name, the parameter. The fixed words
        of the message are ours and are never rewritten (a one-letter password must
        not turn "must be" into "m***st b***").
        """
        secrets = [s for s in secrets if s]
        if not secrets:
            return self

        def hide(text: str) -> str:
            return _REDACTED if any(secret in text for secret in secrets) else text

        param = self.param if param_is_name else hide(self.param)
        got = None if self._got is None else hide(self._got)
        return LegacyQSError(param, self._reason, got=got, limit=self.limit)

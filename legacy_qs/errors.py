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
    The text never contains the sale's password: `parse` redacts it.
    """

    def __init__(self, param: str, problem: str, *, got: str | None = None):
        self.param = param
        self.problem = problem if got is None else f"{problem}, got {_show(got)}"
        # Kept apart so the password can be removed before the value is cut short
        # (cutting first could leave half a password in the message).
        self._reason = problem
        self._got = got
        super().__init__(f"{self.param}: {self.problem}")

    def redacted(self, secrets, *, param_is_name: bool = True) -> "LegacyQSError":
        """The same error with every occurrence of each of `secrets` replaced by ``***``.

        `param_is_name` says the parameter is a documented name (not user text), so
        it is left alone even if a short secret happens to occur in it.
        """
        # Longest first, so a secret containing another is hidden whole.
        secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        if not secrets:
            return self

        def hide(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, _REDACTED)
            return text

        param = self.param if param_is_name else hide(self.param)
        got = None if self._got is None else hide(self._got)
        return LegacyQSError(param, hide(self._reason), got=got)

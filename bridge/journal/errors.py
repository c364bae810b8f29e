"""The journal's one exception."""


class JournalError(RuntimeError):
    """The journal cannot be used (file not writable, database not reachable, schema
    newer than this code), or a transaction on it failed (nothing of it was kept)."""

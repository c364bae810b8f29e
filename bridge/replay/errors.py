"""Replay's own error: input or options that cannot be used at all."""


class UnusableInput(ValueError):
    """The input or the options cannot be used at all (missing file, unknown format,
    a bad `--map`, a CSV without a needed column). The command stops before sending
    anything and exits with status 2; the message is one line for the user."""

"""Errors a user can act on. The CLI prints them on one line and exits with code 2."""


class TinyctlError(Exception):
    """A problem with the user's input or environment, with a message that says what to do."""

    exit_code = 2

"""The one base class for errors a user causes and can fix; the CLI and app show their message only."""


class UserError(Exception):
    """Bad input, a missing index, an unloadable model: the message says what to do."""

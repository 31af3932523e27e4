"""Domain errors whose message is written for the person who typed the command.

Adapters show ``str(error)`` to the user as is, so every message says what was wrong and what to
do instead, and never contains a stack trace or an internal id the user cannot act on.
"""


class KaizenError(Exception):
    """Base class: a problem caused by input or state, not a bug."""


class NotFound(KaizenError):
    """The thing the user named does not exist (or is not in this channel)."""


class InvalidInput(KaizenError):
    """The user's input cannot be understood; the message says what is expected."""


class InvalidTransition(KaizenError):
    """The action does not fit the thing's current state (e.g. resolving a resolved concern)."""

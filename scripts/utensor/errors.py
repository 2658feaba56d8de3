"""Errors the converter reports to users.

Every error a user can meet is a `UtensorError`: the CLI and the PlatformIO extra script
print its message (one paragraph naming the file, the operator or the option, and the fix)
and exit non-zero, without a traceback. Anything else escaping is a bug in utensor.
"""


class UtensorError(Exception):
    """A problem with the user's input or environment, explained in the message."""


class ModelFormatError(UtensorError):
    """The model file is not a readable model (truncated, not a flatbuffer, inconsistent)."""


class UnsupportedError(UtensorError):
    """The model is valid but uses an operator, dtype or option utensor does not support."""


class BoardError(UtensorError):
    """A board id is unknown, or the model does not fit the board."""


class HarnessError(UtensorError):
    """Talking to the firmware over serial failed (timeout, corrupt frames, wrong firmware)."""

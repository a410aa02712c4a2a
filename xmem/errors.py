"""User-facing errors.

Every problem caused by input (files, shapes, configuration, checkpoints) is raised as
:class:`XMemError` with a one-line message that names the offending file or option and
says how to fix it. The CLI prints the message (no traceback) and exits with status 2.
"""


class XMemError(Exception):
    """A problem with the user's input; the message is shown as-is on one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))

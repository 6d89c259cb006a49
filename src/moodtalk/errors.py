"""The one exception type for bad user input.

The CLI turns it into one line on stderr and exit code 2, with no traceback. Raise it with a
message that names the file and the problem, e.g. ``InputError(path, "no video stream")``.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad user input: a file that is missing, unreadable, empty, faceless, ..."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = None if path is None else Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path is not None else problem)

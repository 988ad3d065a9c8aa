"""Domain errors. The CLI catches AcuError once, at the edge, and turns it into an exit code."""

from __future__ import annotations

# Exit codes, documented in README.md and `acu --help`.
EXIT_OK = 0
EXIT_NOT_FOUND = 1  # a valid query with no results, or an unknown single item
EXIT_USAGE = 2  # usage error, a value outside a closed vocabulary, or broken data
EXIT_INTERNAL = 3  # a bug in acu itself
EXIT_INTERRUPTED = 130


class AcuError(Exception):
    """An error a user can act on: a message, hints, and the exit code it maps to."""

    code = EXIT_USAGE

    def __init__(self, message: str, hints: list[str] | None = None, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hints = list(hints or [])
        if code is not None:
            self.code = code


class UsageError(AcuError):
    code = EXIT_USAGE


class NotFound(AcuError):
    code = EXIT_NOT_FOUND


class DataError(AcuError):
    """Broken data: one or more `file:line: message` problems."""

    code = EXIT_USAGE

    def __init__(self, problems: list, message: str | None = None):
        self.problems = list(problems)
        text = message or "\n".join(str(p) for p in self.problems)
        super().__init__(text)


class StoreError(AcuError):
    """The study progress database cannot be used (corrupt, newer, locked)."""

    code = EXIT_USAGE

"""Domain errors. The CLI catches AcuError once, at the edge, and turns it into an exit code."""

from __future__ import annotations

# Exit codes, documented in README.md, docs/output.md and `acu --help`.
EXIT_NOT_FOUND = 1  # a valid query with no results, or an unknown single item
EXIT_USAGE = 2  # usage error, a value outside a closed vocabulary, or broken data
EXIT_INTERNAL = 3  # a bug in acu itself
EXIT_FINDINGS = 4  # `acu check` found a contraindicated or major problem
EXIT_INTERRUPTED = 130


class Problem:
    """One problem in a data file, printed as `file:line: message`."""

    __slots__ = ("file", "line", "message", "fatal")

    def __init__(self, file: str, line: int, message: str, fatal: bool = True):
        self.file, self.line, self.message = file, line, message
        # Not fatal: the data still loads (e.g. control characters, neutralised
        # at output); `acu validate` reports it all the same.
        self.fatal = fatal

    def __eq__(self, other):
        return isinstance(other, Problem) and (self.file, self.line, self.message) == (
            other.file, other.line, other.message)

    def __hash__(self):
        return hash((self.file, self.line, self.message))

    def __repr__(self) -> str:
        return f"Problem({self.file!r}, {self.line}, {self.message!r})"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


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


class Ambiguous(AcuError):
    """A name that fits several records. `candidates` are the records (typed
    in the API, rows in the CLI), so a caller can choose."""

    code = EXIT_NOT_FOUND

    def __init__(self, message: str, candidates: list, kind: str, hints: list[str] | None = None):
        super().__init__(message, hints)
        self.candidates = list(candidates)
        self.kind = kind


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

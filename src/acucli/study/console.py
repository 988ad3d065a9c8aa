"""Question-and-answer I/O for quiz and study: lines out, lines in.

Answers come from stdin, one per line: typed at a terminal (with a prompt),
or piped from a file or a script (no prompt). End of input ends the run.
Output is plain text; colour only on a terminal, and never with NO_COLOR or
--no-color.
"""

from __future__ import annotations

import contextlib

import sys

from acucli.text import clean

_COLORS = {"good": "32", "bad": "31", "close": "33", "dim": "2", "bold": "1"}


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Console:
    def __init__(self, no_color: bool = False, quiet: bool = False, stdin=None, stdout=None):
        # stdin may be missing altogether (`acu study <&-`): that is end of input.
        self.stdin = stdin if stdin is not None else sys.stdin
        # Answers in a legacy encoding must not stop the run; a stream that cannot be
        # reconfigured (a test's StringIO) is used as it is.
        with contextlib.suppress(AttributeError, ValueError, OSError):
            self.stdin.reconfigure(errors="replace")
        self.stdout = stdout or sys.stdout
        self.interactive = _isatty(self.stdin)
        self.quiet = quiet  # machine-readable output: no questions or feedback on stdout
        self.ended = False
        from acucli.output import use_color

        self.color = use_color(no_color, self.stdout)

    def paint(self, text: str, what: str) -> str:
        if not self.color or what not in _COLORS:
            return text
        return f"\x1b[{_COLORS[what]}m{text}\x1b[0m"

    def line(self, text: str = "", what: str | None = None) -> None:
        if self.quiet:
            return
        text = clean(text)
        self.stdout.write((self.paint(text, what) if what else text) + "\n")
        self.stdout.flush()

    def _readline(self) -> str:
        """One raw line; '' at end of input, and for a closed or unreadable stdin."""
        if self.stdin is None or self.ended:
            return ""
        try:
            return self.stdin.readline()
        except (EOFError, ValueError, OSError):
            # ValueError: the stream was closed; OSError: EBADF (`<&-` in a child), EIO
            # (the terminal went away). Either way no more answers will come.
            self.ended = True
            return ""

    def read(self, prompt: str = "> ") -> str | None:
        """One answer line; None at end of input."""
        if self.interactive and not self.quiet:
            self.stdout.write(prompt)
            self.stdout.flush()
            line = self._readline()
            if not line:
                self.stdout.write("\n")
                self.stdout.flush()
                return None
            return line.rstrip("\r\n")
        line = self._readline()
        if not line:
            return None
        return line.rstrip("\r\n")

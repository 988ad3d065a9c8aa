"""Writing an export to what `-o PATH` names, without ever replacing what is not a file.

- ``-`` is stdout.
- A regular file (or a symlink to one, followed to the real file) is written
  to a temporary file beside it, named ``.acu-tmp-<pid>-<random>-<name>``, and
  moved into place: a reader never sees half a file and a failed write leaves
  the old one. The symlink stays a symlink; the file keeps its permissions.
  Temporary files of an acu that died (its pid no longer runs) are removed by
  the next export into that directory.
- A character device (/dev/null, a terminal), a pipe or FIFO, and the
  /dev/stdout or /proc/self/fd/N links are written straight, never replaced.
- Anything else (a directory, a block device, a socket) is refused: exit 2.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from dataclasses import dataclass

from acucli.errors import AcuError, UsageError

TMP_PREFIX = ".acu-tmp-"
_TMP_RE = re.compile(r"^\.acu-tmp-(\d+)-")
APKG_TMP_PREFIX = "acu-apkg-"
_APKG_TMP_RE = re.compile(r"^acu-apkg-(\d+)-")
# Names of a process's open files: written straight, whatever they point at.
_FD_LINK_RE = re.compile(r"^/dev/(stdout|stderr|fd/\d+)$|^/proc/(self|thread-self|\d+)/fd/\d+$")


@dataclass
class Target:
    kind: str  # stdout | stream | file
    path: str  # what the user gave
    real: str | None = None  # for files: the file itself, symlinks followed


def target(path: str) -> Target:
    """Where `-o path` writes, decided before anything is written."""
    if path == "-":
        return Target("stdout", path)
    if not path:
        raise UsageError("-o needs a file name (or - for stdout)")
    special = bool(_FD_LINK_RE.match(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if special:
            raise UsageError(f"{path}: no such device") from None
        real = os.path.realpath(path)
        parent = os.path.dirname(real) or "."
        if not os.path.isdir(parent):
            raise UsageError(f"{os.path.dirname(path) or parent}: no such directory") from None
        return Target("file", path, real)
    except OSError as exc:
        raise UsageError(f"{path}: cannot use it: {exc.strerror or exc}") from None
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path}: is a directory; give a file name")
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return Target("stream", path)
    if stat.S_ISREG(mode):
        if special:  # /dev/stdout or /proc/self/fd/1 redirected to a file: write through the link
            return Target("stream", path)
        return Target("file", path, os.path.realpath(path))
    raise UsageError(f"{path}: not a regular file, a character device or a pipe; refusing to write to it")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive as far as we can tell
    return True


def clean_stale(directory: str, pattern=_TMP_RE, dirs: bool = False) -> None:
    """Remove temporary files (or directories) left by an acu that is no longer running."""
    import shutil

    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        full = os.path.join(directory, name)
        with contextlib.suppress(OSError):
            st = os.lstat(full)
            if st.st_uid != os.getuid():
                continue
            if dirs and stat.S_ISDIR(st.st_mode):
                shutil.rmtree(full, ignore_errors=True)
            elif not dirs and stat.S_ISREG(st.st_mode):
                os.unlink(full)


def _tmp_name(directory: str, base: str) -> str:
    import secrets

    return os.path.join(directory, f"{TMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{base}"[:255])


def write(path: str, produce, *, binary: bool, to_terminal_ok: bool = True) -> Target:
    """Write through produce(fh) to what path names (see the module doc).

    produce gets a binary file object when binary, else a UTF-8 text one."""
    t = target(path)
    try:
        if t.kind == "stdout":
            if binary:
                if not to_terminal_ok and _isatty(sys.stdout):
                    raise UsageError("refusing to write a binary package to a terminal; "
                                     "redirect stdout or give -o FILE")
                sys.stdout.flush()
                out = getattr(sys.stdout, "buffer", None)
                if out is None:
                    raise UsageError("stdout takes no binary data here; give -o FILE")
                produce(out)
                out.flush()
            else:
                produce(sys.stdout)
                sys.stdout.flush()
        elif t.kind == "stream":
            with open(t.path, "wb") as fh:
                _produce_into(fh, produce, binary)
        else:
            _write_file(t.real, produce, binary)
    except OSError as exc:
        raise AcuError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return t


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _produce_into(fh, produce, binary: bool) -> None:
    if binary:
        produce(fh)
        fh.flush()
        return
    import io

    text = io.TextIOWrapper(fh, encoding="utf-8", newline="", write_through=True)
    try:
        produce(text)
        text.flush()
    finally:
        text.detach()


def _write_file(real: str, produce, binary: bool) -> None:
    directory = os.path.dirname(real) or "."
    clean_stale(directory)
    tmp = _tmp_name(directory, os.path.basename(real))
    # O_EXCL: never write through someone else's file or link; 0o666 & ~umask like any new file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            _produce_into(fh, produce, binary)
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(real).st_mode))
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def apkg_tempdir():
    """A temporary directory for building a package, named acu-apkg-<pid>-...; the
    ones an acu killed on the way left behind are removed first."""
    import tempfile

    clean_stale(tempfile.gettempdir(), _APKG_TMP_RE, dirs=True)
    return tempfile.TemporaryDirectory(prefix=f"{APKG_TMP_PREFIX}{os.getpid()}-")

"""Every test runs with its own ACU_HOME and cache, never the user's."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ACU_BUNDLED_DATA (a test-only setting) may point the whole run at another data directory.
DATA = Path(os.environ["ACU_BUNDLED_DATA"]) if os.environ.get("ACU_BUNDLED_DATA") else ROOT / "data"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ACU_HOME", str(home))
    monkeypatch.setenv("ACU_CACHE_DIR", str(_shared_cache(tmp_path_factory)))
    monkeypatch.delenv("ACU_DATA_PATH", raising=False)
    if DATA != ROOT / "data":
        monkeypatch.setenv("ACU_BUNDLED_DATA", str(DATA))
    else:
        monkeypatch.delenv("ACU_BUNDLED_DATA", raising=False)
    monkeypatch.delenv("ACU_FORMAT", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    from acucli import kb

    kb.reset()
    yield home
    kb.reset()


_CACHE: list = []


def _shared_cache(factory) -> Path:
    # One warm cache for the whole run: building it is the slow part.
    if not _CACHE:
        _CACHE.append(factory.mktemp("cache"))
    return _CACHE[0]


def own_cache(path: Path, monkeypatch) -> Path:
    """A cache directory of the test's own, seeded with the validated bundled
    files of the run's shared cache (the slow part of a cold build): the JSON
    cache and the search index, which such tests are about, start from nothing."""
    from acucli import kb

    shared = _CACHE[0] if _CACHE else None
    if shared is not None and not list(shared.glob("bundled-*.json")):
        with monkeypatch.context() as m:
            m.setenv("ACU_CACHE_DIR", str(shared))
            kb.reset()
            kb.load()
            kb.reset()
    path.mkdir(parents=True, exist_ok=True)
    for snap in shared.glob("bundled-*.json") if shared is not None else []:
        shutil.copy(snap, path / snap.name)
    monkeypatch.setenv("ACU_CACHE_DIR", str(path))
    return path


def acu_exe() -> str:
    """The installed console script, next to this Python."""
    exe = Path(sys.executable).with_name("acu")
    if exe.exists():
        return str(exe)
    found = shutil.which("acu")
    if not found:
        pytest.fail("the `acu` console script is not installed (pip install '.[test]')")
    return found


def run_acu(*args: str, env: dict | None = None, input: str | None = None, timeout: float = 60,
            **kw) -> subprocess.CompletedProcess:
    """Run the installed `acu` in a subprocess, with the test's environment."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([acu_exe(), *args], capture_output=True, text=True, env=full_env,
                          input=input, timeout=timeout, **kw)


@pytest.fixture
def acu():
    return run_acu


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr
        self.output = stdout


class _Stream(io.StringIO):
    """A text stream that says it is not a terminal and is UTF-8, as a pipe would."""

    encoding = "utf-8"

    def isatty(self) -> bool:
        return False


def invoke(*args: str, input: str | None = None, env: dict | None = None) -> Result:
    """Run `acu ARGS` in this process, through the same edge as the console
    script (acucli.cli.main): exit codes, stderr messages and all."""
    from acucli import cli as climod, kb, output

    kb.reset()
    output.current = None
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update({k: v for k, v in (env or {}).items() if v is not None})
    out, err = _Stream(), _Stream()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = _Stream(input or ""), out, err
    try:
        climod.main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    """Call `acu` in-process, returning a Result (exit_code, stdout, stderr)."""
    return invoke

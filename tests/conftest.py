"""Every test runs with its own ACU_HOME and cache, never the user's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def isolated(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ACU_HOME", str(home))
    monkeypatch.setenv("ACU_CACHE_DIR", str(_shared_cache(tmp_path_factory)))
    monkeypatch.delenv("ACU_DATA_PATH", raising=False)
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


@pytest.fixture
def cli():
    """Call the Typer app in-process (CliRunner), returning (exit_code, stdout, stderr)."""
    from typer.testing import CliRunner

    from acucli.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        from acucli import kb

        kb.reset()
        result = runner.invoke(app, list(args), input=input, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke

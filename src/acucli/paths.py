"""Where acu keeps its cache, its user data and the bundled data.

Environment variables override the platform directories, so tests and
portable setups can point acu anywhere:

- ACU_HOME       user data directory (study progress, overlays)
- ACU_CACHE_DIR  cache directory (parsed, validated data)
- ACU_DATA_PATH  colon-separated overlay files or directories
                 (default: $ACU_HOME/data)
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "acucli"


def bundled_data_dir() -> Path:
    env = os.environ.get("ACU_BUNDLED_DATA")  # tests point this at broken copies
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    packaged = here / "data"
    if packaged.is_dir():
        return packaged
    # Running from a source checkout (src/ layout): data/ sits at the top.
    return here.parent.parent / "data"


def home_dir() -> Path:
    env = os.environ.get("ACU_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    env = os.environ.get("ACU_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def overlay_paths() -> list[Path]:
    """Overlay files and directories, in the order they are applied."""
    env = os.environ.get("ACU_DATA_PATH")
    if env is not None:
        return [Path(p).expanduser() for p in env.split(os.pathsep) if p.strip()]
    return [home_dir() / "data"]

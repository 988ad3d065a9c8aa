"""The console script's entry point: quiet Ctrl-C even while Python is still
importing the command line (that takes ~60 ms, long enough to be hit)."""

import os
import signal


def _interrupted(signum, frame):  # pragma: no cover - timing-dependent
    try:
        os.write(2, b"\nacu: interrupted\n")
    finally:
        os._exit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _interrupted)
    from acucli.cli import main as run

    # From here on Ctrl-C is a KeyboardInterrupt that cli.main turns into exit 130.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    run()

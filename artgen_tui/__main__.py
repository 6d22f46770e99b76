"""``python -m artgen_tui`` and the ``artgen`` command (see :func:`artgen_tui.cli.main`)."""

from __future__ import annotations

import gc
import sys

EXIT_INTERRUPTED = 130


def run() -> int:
    """The console entry point: :func:`artgen_tui.cli.main`, imported here so that a Ctrl+C while
    the program is still starting (imports, argument parsing) is as quiet as one later on.

    The garbage collector is off while the program starts: what it loads (modules, classes)
    lives as long as the program, so collecting it is wasted time (tens of milliseconds). It is
    back on once the command runs (the app: after its first frame, see
    :meth:`artgen_tui.tui.gc_policy.CollectorPolicy.startup_done`)."""
    gc.disable()
    try:
        from artgen_tui.cli import main

        return main()
    except KeyboardInterrupt:
        sys.stderr.write("artgen: interrupted.\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(run())

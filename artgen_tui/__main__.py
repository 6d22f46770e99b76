"""``python -m artgen_tui`` runs the same entry point as the ``artgen`` command."""

from artgen_tui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

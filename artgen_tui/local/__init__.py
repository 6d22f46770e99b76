"""The embedded local backend: the cloud's HTTP API on loopback, a scripted agent and a real
renderer. Entry points: :class:`artgen_tui.local.runner.LocalBackend` and
:func:`artgen_tui.local.runner.serve`. Kept import-free so render worker processes start fast."""

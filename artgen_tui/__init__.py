"""artgen-tui: a terminal app for making AI art videos with NemoVideo's cloud agent."""

__version__ = "0.1.0"

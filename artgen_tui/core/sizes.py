"""The output sizes an export can ask for. On its own, so that the command line's parser can name
them without loading what uses them."""

from __future__ import annotations

RESOLUTIONS = ("360p", "720p", "1080p")

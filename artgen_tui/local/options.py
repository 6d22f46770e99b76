"""Tunables of the embedded local backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from artgen_tui.local.upload_rules import MAX_UPLOAD_BYTES

if TYPE_CHECKING:
    from artgen_tui.config import LocalBackendSettings


@dataclass
class LocalOptions:
    """How the local backend behaves. Tests use tiny delays; the defaults feel like the cloud.

    ``credits``: what a new anonymous user starts with. ``stage_delay``: seconds each agent stage
    "works". ``heartbeat_interval``: seconds between SSE keep-alives. ``silent_close_rate``: share
    of edits that end with no text. ``seed``: makes the agent's choices reproducible. ``faults``:
    a fault spec (see :mod:`artgen_tui.local.faults`). ``token_ip_limit``: new anonymous tokens
    per IP per 7 days. ``render_workers``: renders that run at once, each in its own process.
    ``max_upload_bytes``: the per-file upload limit (code 4002 above it). ``export_cost``: credits
    an export is charged when it is submitted (0, the default: exports are free, as in the cloud
    today; tests set it to see a charge measured).
    """

    credits: int = 500
    stage_delay: float = 1.5
    heartbeat_interval: float = 5.0
    silent_close_rate: float = 0.3
    seed: int = 7
    faults: str = ""
    token_ip_limit: int = 50
    render_workers: int = 2
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    export_cost: int = 0

    @classmethod
    def from_settings(cls, s: LocalBackendSettings) -> LocalOptions:
        return cls(
            credits=s.credits,
            stage_delay=s.stage_delay,
            heartbeat_interval=s.heartbeat_interval,
            silent_close_rate=s.silent_close_rate,
            seed=s.seed,
            faults=s.faults,
        )

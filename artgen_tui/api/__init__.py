"""The wire layer: HTTP client, typed models, SSE events and errors. Never imports textual."""

import sys

# httpx loads its command-line tool (click, pygments and rich: about 0.1 s) whenever click is
# installed, and uvicorn brings click. We never run that tool: a ``None`` entry makes httpx's
# optional import of it fail at once, and httpx falls back to a stub ``httpx.main``.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

"""The wire layer: HTTP client, typed models, SSE events and errors. Never imports textual."""

"""Typed chat events decoded from ``/run_sse`` data frames.

Accepted variants (``docs/protocol.md`` §4): ADK events with camelCase keys (the main shape) or snake_case keys,
simplified ``{"type": "text" | "tool_call" | "tool_result" | "heartbeat"}`` frames, a bare
``{"text": ...}``, empty ``data:`` (a keep-alive), ``{"error": ...}`` frames and ADK ``errorCode``.
``partial`` chunks are shown as they come; the aggregated non-partial event ADK sends after them is
recognised and only any text it adds beyond the chunks is emitted, so text never appears twice.
Malformed frames never raise: they decode to nothing (whatever the payload: ~1,000-level nesting,
``1e999``, undecodable text), and :attr:`EventDecoder.frames` counts the frames that decoded, so a
stream with no readable frame at all can be told from a quiet one. Every string an event carries
for display (text, tool names, error messages) has passed :func:`~artgen_tui.api.untrusted.clean`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from artgen_tui.api.untrusted import PARSE_ERRORS, TEXT_LIMIT, clean, clean_line


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolResult:
    name: str
    response: Any = None
    call_id: str | None = None


@dataclass(frozen=True, slots=True)
class StateDelta:
    delta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    pass


@dataclass(frozen=True, slots=True)
class StreamError:
    message: str
    code: str | None = None


ChatEvent = TextDelta | ToolCall | ToolResult | StateDelta | Heartbeat | StreamError


def _name(value: Any) -> str:
    """A tool name for display: one clean line, ``tool`` when there is none."""
    return clean_line(value, 200) if value else "tool"


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


class EventDecoder:
    """Stateful decoder for one stream: call :meth:`feed` with each SSE ``data`` payload."""

    def __init__(self) -> None:
        self._partial_text = ""
        self.frames = 0
        """Frames that decoded (a JSON object or an empty keep-alive)."""

    def feed(self, data: str) -> list[ChatEvent]:
        """The events in one ``data`` payload; never raises."""
        try:
            data = data.strip()
            if not data:
                self.frames += 1
                return [Heartbeat()]
            obj = json.loads(data)
            if not isinstance(obj, dict):
                return []
            events = self._decode(obj)
        except PARSE_ERRORS:
            return []
        self.frames += 1
        return events

    def _decode(self, obj: dict[str, Any]) -> list[ChatEvent]:
        kind = obj.get("type")
        if isinstance(kind, str):
            simple = self._decode_simple(kind, obj)
            if simple is not None:
                return simple
        if "error" in obj and "content" not in obj:
            err = obj["error"]
            details = obj.get("error_details") or {}
            code = details.get("error_type") if isinstance(details, dict) else None
            return [StreamError(clean(err), clean_line(code) if isinstance(code, str) else None)]
        events: list[ChatEvent] = []
        author = obj.get("author")
        content = obj.get("content")
        partial = bool(obj.get("partial"))
        if isinstance(content, dict) and author != "user":
            events.extend(self._decode_parts(content.get("parts"), partial))
        elif isinstance(content, str) and content:
            events.append(TextDelta(clean(content, TEXT_LIMIT)))
        elif "content" not in obj and isinstance(obj.get("text"), str) and obj["text"]:
            events.append(TextDelta(clean(obj["text"], TEXT_LIMIT)))
        actions = obj.get("actions")
        if isinstance(actions, dict):
            delta = _get(actions, "stateDelta", "state_delta")
            if isinstance(delta, dict) and delta:
                events.append(StateDelta(delta))
        code = _get(obj, "errorCode", "error_code")
        if code:
            msg = _get(obj, "errorMessage", "error_message") or code
            events.append(StreamError(clean(msg), clean_line(code)))
        return events

    def _decode_simple(self, kind: str, obj: dict[str, Any]) -> list[ChatEvent] | None:
        if kind == "heartbeat" or kind == "ping":
            return [Heartbeat()]
        if kind == "text":
            text = obj.get("content", obj.get("text"))
            return [TextDelta(clean(text, TEXT_LIMIT))] if isinstance(text, str) and text else []
        if kind == "tool_call":
            args = obj.get("args")
            return [ToolCall(_name(obj.get("name")), args if isinstance(args, dict) else {})]
        if kind == "tool_result":
            return [ToolResult(_name(obj.get("name")), obj.get("result"))]
        if kind == "error":
            return [StreamError(clean(obj.get("message") or obj.get("error") or "stream error"))]
        return None

    def _decode_parts(self, parts: Any, partial: bool) -> list[ChatEvent]:
        if not isinstance(parts, list):
            return []
        events: list[ChatEvent] = []
        text = ""
        for part in parts:
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("text"), str) and not part.get("thought"):
                text += part["text"]
            call = _get(part, "functionCall", "function_call")
            if isinstance(call, dict):
                args = call.get("args")
                events.append(
                    ToolCall(
                        _name(call.get("name")),
                        args if isinstance(args, dict) else {},
                        _id(call.get("id")),
                    )
                )
            resp = _get(part, "functionResponse", "function_response")
            if isinstance(resp, dict):
                events.append(
                    ToolResult(_name(resp.get("name")), resp.get("response"), _id(resp.get("id")))
                )
        if text:
            emitted = self._dedupe(text, partial)
            if emitted:
                events.insert(0, TextDelta(clean(emitted, TEXT_LIMIT)))
        return events

    def _dedupe(self, text: str, partial: bool) -> str:
        if partial:
            self._partial_text += text
            return text
        seen, self._partial_text = self._partial_text, ""
        if seen and text.startswith(seen):
            return text[len(seen) :]
        if seen and seen.startswith(text):
            return ""
        return text

"""Settings: defaults < ``config.toml`` < environment (``NEMO_*``, ``ARTGEN_*``) < command-line flags.

The file lives in the platformdirs config dir, or wherever ``ARTGEN_CONFIG`` points.
``config.example.toml`` in the repository documents every key. A malformed file raises
:class:`ConfigError`, whose message names the file, the line and the key.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from artgen_tui import __version__, paths
from artgen_tui.config_file import DEFAULT_THEME, flatten_keymap, read_config_file
from artgen_tui.config_file import ConfigError as ConfigError
from artgen_tui.config_file import save_config as save_config
from artgen_tui.config_file import save_top_level_value as save_top_level_value

DEFAULT_API_URL = "https://mega-api-prod.nemovideo.ai"


class LocalBackendSettings(BaseModel):
    """The embedded backend used by ``--local`` and ``serve-local``."""

    model_config = ConfigDict(extra="forbid")

    data_dir: Path | None = Field(None, description="Where it keeps its state; default: data dir.")
    credits: int = Field(500, ge=0, description="Credits a new anonymous user starts with.")
    stage_delay: float = Field(1.5, ge=0, description="Seconds per agent stage.")
    heartbeat_interval: float = Field(5.0, gt=0, description="Seconds between keep-alives.")
    silent_close_rate: float = Field(0.3, ge=0, le=1, description="Edits that end with no text.")
    seed: int = Field(7, description="Seed for the scripted agent's choices.")
    faults: str = Field("", description="Fault spec, e.g. 'rate_limit=1,expire_token=1'.")


LOG_LEVELS = ("debug", "info", "warning", "error")


class LogSettings(BaseModel):
    """Where the diagnostic log goes (``[log]``, ``ARTGEN_LOG=FILE``, ``--log FILE``).

    ``ARTGEN_LOG`` holds just the file path, so a plain string stands for ``{"file": …}``.
    """

    model_config = ConfigDict(extra="forbid")

    file: Path | None = Field(None, description="Log file; default: no log file.")
    level: str = Field("info", description="debug, info, warning or error.")

    @model_validator(mode="before")
    @classmethod
    def _path_alone(cls, value: Any) -> Any:
        if isinstance(value, str | Path):
            return {"file": str(value)} if str(value) else {}
        return value

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().lower()
        if level not in LOG_LEVELS:
            raise ValueError("must be debug, info, warning or error")
        return level


class BatchSettings(BaseModel):
    """``artgen batch``: how many items run at once."""

    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(2, ge=1, le=16, description="Items processed at the same time.")


class SpendSettings(BaseModel):
    """The spend guard: ask before a request whose estimate exceeds this (0 = no limit)."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(0, ge=0, description="Most credits one run may spend without asking.")


class NetworkSettings(BaseModel):
    """Deadlines and cadences (``[network]``): how long the client waits for a slow service."""

    model_config = ConfigDict(extra="forbid")

    max_retry_after: float = Field(
        120.0, ge=0, description="Longest Retry-After obeyed; a longer one ends the command."
    )
    request_deadline: float = Field(
        120.0, gt=0, description="Seconds for a whole JSON answer, however it trickles in."
    )
    stream_idle: float = Field(
        300.0, gt=0, description="Seconds a chat stream may go without a whole line."
    )
    stream_event_idle: float = Field(
        600.0, gt=0, description="Seconds a chat stream may bring no event (keep-alives aside)."
    )
    turn_deadline: float = Field(
        1800.0, gt=0, description="Seconds one chat reply stream may last in all."
    )
    min_download_rate: float = Field(
        1024.0, ge=0, description="Bytes/s a download must average per window (0: no check)."
    )
    download_window: float = Field(30.0, gt=0, description="Seconds per download rate window.")
    render_wait: float = Field(
        3600.0, gt=0, description="Seconds a command waits for one render to finish."
    )
    remote_poll_interval: float = Field(
        5.0, gt=0, description="First export status poll interval on a remote service."
    )
    remote_poll_max: float = Field(
        30.0, gt=0, description="Longest export status poll interval on a remote service."
    )
    recovery_delays: list[float] = Field(
        default_factory=lambda: [0.0, 1.0, 2.0, 5.0, 10.0, 30.0],
        min_length=1,
        description="Seconds before each state poll after a dropped stream (last repeats).",
    )
    settle_recheck: float = Field(
        1.5, ge=0, description="Seconds before a second state poll when a turn changed nothing."
    )

    @field_validator("recovery_delays")
    @classmethod
    def _non_negative(cls, value: list[float]) -> list[float]:
        if any(not 0 <= v <= 3600 for v in value):
            raise ValueError("each delay must be between 0 and 3600 seconds")
        return value


class NotifySettings(BaseModel):
    """When finished work rings the terminal and notifies (see :mod:`artgen_tui.core.notify`)."""

    model_config = ConfigDict(extra="forbid")

    when: Literal["unfocused", "always", "never"] = "unfocused"
    after_seconds: float = Field(
        30.0, ge=0, description="A turn notifies only when it took at least this long."
    )
    command: str | None = Field(None, description="Run with the event as JSON on stdin.")
    command_timeout: float = Field(10.0, gt=0)


class CancelSettings(BaseModel):
    """After Esc / Ctrl+C: how long to keep watching the server for the cancelled request's work."""

    model_config = ConfigDict(extra="forbid")

    watch_seconds: float = Field(60.0, ge=0)
    poll_seconds: float = Field(3.0, gt=0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ARTGEN_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=False,
    )

    api_url: str = Field(
        DEFAULT_API_URL,
        validation_alias=AliasChoices("api_url", "NEMO_API_URL", "ARTGEN_API_URL"),
        description="The NemoVideo API base URL.",
    )
    token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("token", "NEMO_TOKEN", "ARTGEN_TOKEN"),
        description="A fixed API token; default: an anonymous token fetched and kept for you.",
    )
    skill_source: str = "art-generator"
    skill_version: str = __version__
    skill_platform: str = "unknown"
    language: str = "en"
    output_dir: Path = Field(default_factory=paths.default_output_dir)
    request_timeout: float = Field(30.0, gt=0)
    stream_timeout: float = Field(900.0, gt=0)
    still_working_interval: float = Field(120.0, gt=0)
    render_poll_interval: float = Field(2.0, gt=0)
    low_credits_threshold: int = Field(100, ge=0)
    show_tool_activity: bool = True
    chat_max_messages: int = Field(
        120, ge=20, description="Chat messages kept on screen; older ones load on scroll back."
    )
    theme: str = DEFAULT_THEME
    keymap: dict[str, str] = Field(default_factory=dict)
    """Binding id → keys; ids are checked against the app's bindings when the app starts."""
    fast_downloads: bool = Field(
        True, description="Stream plain downloads straight from the socket to disk."
    )
    log: Annotated[LogSettings, NoDecode] = Field(default_factory=LogSettings)
    local: LocalBackendSettings = Field(default_factory=LocalBackendSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)
    spend: SpendSettings = Field(default_factory=SpendSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    cancel: CancelSettings = Field(default_factory=CancelSettings)
    _source_path: Path | None = PrivateAttr(None)

    @property
    def source_path(self) -> Path | None:
        """The config file these settings were loaded from (where the app saves a theme)."""
        return self._source_path

    @field_validator("keymap", mode="before")
    @classmethod
    def _flat_keymap(cls, value: Any) -> Any:
        """``app.export = "f6"`` (a dotted key: a table in TOML) reads as ``"app.export"``."""
        return flatten_keymap(value) if isinstance(value, dict) else value

    @field_validator("api_url", mode="before")
    @classmethod
    def _usable_url(cls, value: Any) -> Any:
        if isinstance(value, str):
            problem = url_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("token", mode="before")
    @classmethod
    def _usable_token(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return None  # NEMO_TOKEN= (empty) means no fixed token
            problem = token_problem(value)
            if problem:
                # Its own error type, so the message never carries the value (see _explain).
                raise PydanticCustomError("invalid_token", problem)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, _LogPathInEnv(env_settings), _FileSource(settings_cls, {}))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the API base URL (scheme, host, port, encoding), or ``None``."""
    try:
        url.encode("utf-8")
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError for a port over 65535 or not a number
    except UnicodeEncodeError:
        return "the URL holds bytes that are not valid text"
    except ValueError as exc:
        return f"not a usable URL ({exc})"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host, like http://127.0.0.1:8765"
    if port == 0:
        return "port 0 cannot be connected to"
    return None


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be sent as a bearer token, in words that never quote it."""
    if not token.isascii():
        return "it contains a non-ASCII character"
    if any(c in token for c in "\r\n"):
        return "it contains a line break"
    if not token.isprintable():
        return "it contains a control character"
    if any(c.isspace() for c in token.strip()):
        return "it contains a space"
    return None


class _LogPathInEnv(PydanticBaseSettingsSource):
    """The environment, with ``ARTGEN_LOG=FILE`` read as ``[log] file`` so the file's level stays."""

    def __init__(self, env: PydanticBaseSettingsSource) -> None:
        super().__init__(env.settings_cls)
        self._env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._env.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        data = self._env()
        if isinstance(data.get("log"), str):
            data["log"] = {"file": data["log"]} if data["log"] else {}
        return data


class _FileSource(PydanticBaseSettingsSource):
    """Feeds an already-parsed config file into the settings chain (below the environment)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def _settings_with_file(data: dict[str, Any]) -> type[Settings]:
    """:class:`Settings` whose lowest source is ``data`` (sources are chosen per class)."""

    class FileSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, _LogPathInEnv(env_settings), _FileSource(settings_cls, data))

    FileSettings.__name__ = FileSettings.__qualname__ = "Settings"
    return FileSettings


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings; ``overrides`` are command-line flags (``None`` values are ignored)."""
    path = config_path or paths.config_file()
    data = read_config_file(path)
    flags = {k: v for k, v in overrides.items() if v is not None}
    try:
        settings: Settings = _settings_with_file(data)(**flags)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, path, data, flags)) from exc
    except SettingsError as exc:  # an ARTGEN_* variable that is not the JSON it should be
        raise ConfigError(_explain_env_parse(exc)) from None
    settings._source_path = path
    return settings


def _explain_env_parse(exc: SettingsError) -> str:
    match = re.search(r'field "(\w+)"', str(exc))
    name = f"ARTGEN_{match.group(1).upper()}" if match else "an ARTGEN_ variable"
    cause = exc.__cause__ or exc.__context__
    why = f" ({cause.msg})" if isinstance(cause, json.JSONDecodeError) else ""
    return f'{name}: not valid JSON{why}; give a JSON object, like {name}=\'{{"key": "value"}}\'.'


def _env_name(loc: list[str]) -> str | None:
    """The environment variable a setting at ``loc`` came from, if one is set."""
    if not loc:
        return None
    field = Settings.model_fields.get(loc[0])
    names = [f"ARTGEN_{'__'.join(loc).upper()}", f"ARTGEN_{loc[0].upper()}"]
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices) and len(loc) == 1:
        names = [str(c) for c in alias.choices if str(c).isupper()]
    return next((n for n in names if n in os.environ), None)


def _explain(exc: ValidationError, path: Path, data: dict[str, Any], flags: dict[str, Any]) -> str:
    """One line per problem, naming where the value came from (file and line, environment
    variable or flag) and never quoting a token."""
    try:
        text = path.read_text("utf-8")
    except OSError:
        text = ""
    lines = []
    from_file = False
    for err in exc.errors(include_input=False):
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc) or "?"
        leaf = loc[-1] if loc else ""
        in_file = _dig(data, loc) is not _MISSING
        msg = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
        msg = msg.removeprefix("Value error, ")
        env = None if in_file else _env_name(loc)
        if loc and loc[0] in flags:
            where = f"--{loc[0].replace('_', '-')}"
        elif env is not None:
            where = env
        elif in_file:
            from_file = True
            line = _line_of(text, leaf) if text else None
            where = f"{path}, line {line}: key '{key}'" if line else f"{path}: key '{key}'"
        else:
            where = f"environment or command line: key '{key}'"
        if err["type"] == "invalid_token":
            lines.append(f"{where} is not a valid token: {msg}.")
        else:
            lines.append(f"{where}: {msg}.")
    if from_file:
        lines[-1] += " See config.example.toml for every setting and its type."
    return "\n".join(lines)


_MISSING = object()


def _dig(data: Any, loc: list[str]) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return _MISSING
    return data

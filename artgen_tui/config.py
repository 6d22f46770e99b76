"""Settings: defaults < ``config.toml`` < environment (``NEMO_*``, ``ARTGEN_*``) < command-line flags.

The file lives in the platformdirs config dir, or wherever ``ARTGEN_CONFIG`` points.
``config.example.toml`` in the repository documents every key. A malformed file raises
:class:`ConfigError`, whose message names the file, the line and the key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from artgen_tui import __version__, paths

DEFAULT_API_URL = "https://mega-api-prod.nemovideo.ai"


class ConfigError(Exception):
    """The config file cannot be used; the message says where and why."""


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
    theme: str = "textual-dark"
    keymap: dict[str, str] = Field(default_factory=dict)
    fast_downloads: bool = Field(
        True, description="Stream plain downloads straight from the socket to disk."
    )
    log: Annotated[LogSettings, NoDecode] = Field(default_factory=LogSettings)
    local: LocalBackendSettings = Field(default_factory=LocalBackendSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)
    spend: SpendSettings = Field(default_factory=SpendSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    cancel: CancelSettings = Field(default_factory=CancelSettings)

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


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse the TOML file; a missing file is empty, a broken one raises :class:`ConfigError`."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror}).") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}. Fix that line, or move the file away to use defaults."
        ) from exc


def load_settings(config_path: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings; ``overrides`` are command-line flags (``None`` values are ignored)."""
    path = config_path or paths.config_file()
    data = read_config_file(path)
    flags = {k: v for k, v in overrides.items() if v is not None}
    try:
        return _settings_with_file(data)(**flags)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, path, data)) from exc


def _explain(exc: ValidationError, path: Path, data: dict[str, Any]) -> str:
    try:
        text = path.read_text("utf-8")
    except OSError:
        text = ""
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc) or "?"
        leaf = loc[-1] if loc else ""
        in_file = _dig(data, loc) is not _MISSING
        where = str(path)
        if in_file and text:
            line = _line_of(text, leaf)
            where = f"{path}, line {line}" if line else str(path)
        else:
            where = "environment or command line"
        msg = "unknown setting" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"{where}: key '{key}': {msg}.")
    lines.append("See config.example.toml for every setting and its type.")
    return "\n".join(lines)


_MISSING = object()


def _dig(data: Any, loc: list[str]) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return _MISSING
    return data


def save_config(updates: dict[str, Any], config_path: Path | None = None) -> Path:
    """Merge ``updates`` into the config file and write it atomically (TOML via tomli-w)."""
    path = config_path or paths.config_file()
    data = read_config_file(path)
    for key, value in updates.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = str(value) if isinstance(value, Path) else value
    paths.atomic_write_bytes(path, tomli_w.dumps(data).encode("utf-8"), mode=0o600)
    return path

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from artgen_tui import paths
from artgen_tui.config import (
    DEFAULT_API_URL,
    ConfigError,
    LocalBackendSettings,
    LogSettings,
    Settings,
    load_settings,
    save_config,
)
from artgen_tui.config_file import first_frame


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    s = load_settings(tmp_path / "missing.toml")
    assert s.api_url == DEFAULT_API_URL
    assert s.token is None
    assert s.still_working_interval == 120
    assert s.local.credits == 500


def test_precedence_file_env_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write(tmp_path / "c.toml", 'api_url = "http://file"\nlanguage = "ja"\n')
    assert load_settings(cfg).api_url == "http://file"
    monkeypatch.setenv("NEMO_API_URL", "http://env")
    monkeypatch.setenv("ARTGEN_LANGUAGE", "zh-CN")
    s = load_settings(cfg)
    assert (s.api_url, s.language) == ("http://env", "zh-CN")
    assert load_settings(cfg, api_url="http://flag", language=None).api_url == "http://flag"


def test_nemo_token_is_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_supersecretvalue")
    s = load_settings(tmp_path / "none.toml")
    assert s.token is not None and s.token.get_secret_value() == "nmv_usr_supersecretvalue"
    assert "supersecret" not in repr(s)


def test_nested_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARTGEN_LOCAL__CREDITS", "42")
    assert load_settings(tmp_path / "none.toml").local.credits == 42


def test_bad_value_names_file_line_and_key(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'api_url = "http://x"\n\n[local]\ncredits = -5\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    msg = str(info.value)
    assert str(cfg) in msg and "line 4" in msg and "local.credits" in msg


def test_unknown_key_is_named(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'api_url = "http://x"\nthem = "nord"\n')
    with pytest.raises(ConfigError, match=r"line 2: key 'them': unknown setting"):
        load_settings(cfg)


def test_broken_toml_names_the_line(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", 'api_url = "http://x"\nlanguage = \n')
    with pytest.raises(ConfigError, match=r"line 2"):
        load_settings(cfg)


def test_artgen_config_env_points_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path / "elsewhere.toml", 'theme = "nord"\n')
    monkeypatch.setenv("ARTGEN_CONFIG", str(cfg))
    assert load_settings().theme == "nord"


def test_save_config_is_atomic_and_private(tmp_path: Path) -> None:
    cfg = tmp_path / "conf" / "config.toml"
    save_config({"theme": "nord", "local": {"credits": 7}}, cfg)
    save_config({"language": "zh-CN"}, cfg)
    s = load_settings(cfg)
    assert (s.theme, s.language, s.local.credits) == ("nord", "zh-CN", 7)
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert not [p for p in cfg.parent.iterdir() if p.name.endswith(".tmp")]


def test_example_config_is_valid_and_documents_every_key() -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    text = example.read_text("utf-8")
    uncommented = "\n".join(line.removeprefix("# ") for line in text.splitlines())
    keys = set(Settings.model_fields)
    for section in (LocalBackendSettings, LogSettings):
        keys |= set(section.model_fields)
    for key in sorted(keys):
        assert f"{key} =" in uncommented or f"[{key}]" in uncommented, key
    load_settings(example)


def test_atomic_write_modes(tmp_path: Path) -> None:
    target = tmp_path / "private" / "f.json"
    paths.atomic_write_json(target, {"a": 1})
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert paths.read_json(target) == {"a": 1}
    target.write_text("{broken")
    assert paths.read_json(target) is None
    os.chmod(target, 0o644)


def test_log_settings_from_file_env_and_their_mix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path / "c.toml", '[log]\nlevel = "WARNING"\nfile = "/tmp/from-file.log"\n')
    s = load_settings(cfg)
    assert (s.log.file, s.log.level) == (Path("/tmp/from-file.log"), "warning")
    monkeypatch.setenv("ARTGEN_LOG", "/tmp/from-env.log")
    s = load_settings(cfg)  # the path from the environment, the level still from the file
    assert (s.log.file, s.log.level) == (Path("/tmp/from-env.log"), "warning")
    assert load_settings(tmp_path / "none.toml").log.level == "info"


def test_bad_log_level_names_the_key(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[log]\nlevel = "loud"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert "key 'log.level'" in str(info.value) and "debug, info, warning or error" in str(
        info.value
    )


def test_settings_from_different_files_do_not_leak(tmp_path: Path) -> None:
    """Each load reads its own file: nothing is handed over through module state."""
    a = write(tmp_path / "a.toml", 'language = "ja"\n')
    b = write(tmp_path / "b.toml", "fast_downloads = false\n")
    sa, sb = load_settings(a), load_settings(b)
    assert (sa.language, sa.fast_downloads) == ("ja", True)
    assert (sb.language, sb.fast_downloads) == ("en", False)
    assert Settings().language == "en"


async def test_fast_downloads_setting_reaches_the_client(tmp_path: Path) -> None:
    from artgen_tui.core.workspace import Workspace

    on = load_settings(tmp_path / "none.toml", api_url="http://127.0.0.1:9")
    off = load_settings(write(tmp_path / "c.toml", "fast_downloads = false\n"), api_url=on.api_url)
    for settings, fast in ((on, True), (off, False)):
        async with Workspace(settings) as ws:
            assert ws.client.download_policy.fast is fast


# --- the app's first frame, painted before the settings are validated ---------------------------

FIRST_FRAME_FILES = [
    "",
    'theme = "nord"\n',
    'theme = "gruvbox"\n[keymap]\nexport = "f12"\n"app.upload" = "f11,ctrl+g"\n',
    '[keymap]\napp.export = "f6"\n"prompt.newline" = "ctrl+o"\n[local]\ncredits = 7\n',
    'language = "ja"\ntheme = "nord"\n[keymap.app]\ntimeline = "f11"\n',
]


@pytest.mark.parametrize("text", FIRST_FRAME_FILES)
def test_the_first_frame_shows_what_the_validated_settings_hold(tmp_path: Path, text: str) -> None:
    """Theme, keymap and file of the first frame are those of the settings validated after it."""
    cfg = write(tmp_path / "c.toml", text)
    first = first_frame(cfg)
    assert first is not None
    settings = load_settings(cfg)
    assert (first.theme, first.keymap, first.source_path) == (
        settings.theme,
        settings.keymap,
        settings.source_path,
    )


@pytest.mark.parametrize(
    ("text", "env"),
    [
        ("theme = 3\n", {}),
        ("keymap = 3\n", {}),
        ('[keymap]\nexport = ["f6"]\n', {}),
        ("", {"ARTGEN_THEME": "nord"}),
        ("", {"artgen_theme": "nord"}),
        ("", {"ARTGEN_KEYMAP": '{"export": "f12"}'}),
        ("", {"ARTGEN_KEYMAP__EXPORT": "f12"}),
    ],
)
def test_the_first_frame_waits_for_validation_when_it_cannot_tell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, env: dict[str, str]
) -> None:
    """A value of the wrong type, or one the environment sets: validated before the app."""
    cfg = write(tmp_path / "c.toml", text)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert first_frame(cfg) is None


def test_the_first_frame_reports_a_file_that_is_not_toml(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "theme = \n")
    with pytest.raises(ConfigError) as first:
        first_frame(cfg)
    with pytest.raises(ConfigError) as full:
        load_settings(cfg)
    assert str(first.value) == str(full.value)

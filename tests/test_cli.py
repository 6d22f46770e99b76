"""The ``artgen`` command end to end: subprocesses against a real local backend."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from cli_run import Result
from loopback import free_port
from PIL import Image

from artgen_tui import cli
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"


def run(
    *args: str, url: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.pop("NEMO_API_URL", None)
    if url is not None:
        full_env["NEMO_API_URL"] = url
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "artgen_tui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=90,
        check=False,
    )


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@contextlib.contextmanager
def silent_backend(directory: Path) -> Iterator[str]:
    options = LocalOptions(stage_delay=0.0, heartbeat_interval=0.05, silent_close_rate=1.0)
    with LocalBackend(directory, options=options) as backend:
        yield backend.url


def test_help_lists_commands_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for command in ("serve-local", "chat", "upload", "state", "credits", "export", "jobs"):
        assert command in text
    assert "examples:" in text and "NEMO_API_URL" in text and "exit codes" in text


@pytest.mark.parametrize(
    "command", ["serve-local", "chat", "upload", "state", "credits", "export", "jobs"]
)
def test_each_subcommand_has_help_with_examples(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text
    assert f"artgen {command}" in text
    assert "--json" in text


@pytest.mark.slow
def test_chat_then_export_gives_a_playable_mp4(local_backend: str, tmp_path: Path) -> None:
    chat = run("chat", GENERATE, "--no-json", url=local_backend)
    assert chat.returncode == 0, chat.stderr
    assert "Futuristic City At Sunset" in chat.stdout, chat.stdout
    assert "working: generate video" in chat.stderr, chat.stderr
    assert "Traceback" not in chat.stderr

    export = run(
        "export", "--wait", "-o", "city.mp4", "--resolution", "360p", "--no-json",
        url=local_backend, cwd=tmp_path,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    target = tmp_path / "city.mp4"
    assert f"Saved {target}" in export.stdout, (export.stdout, export.stderr)
    with av.open(str(target)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert next(container.decode(video=0)).height == 360

    jobs = run("jobs", "list", "--json", url=local_backend)
    (line,) = json_lines(jobs.stdout)
    assert line["type"] == "job" and line["status"] == "downloaded", line
    assert line["path"] == str(target)


def test_json_is_the_default_when_stdout_is_not_a_terminal(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    chat = artgen("chat", "hello", url=local_backend)
    assert chat.returncode == 0, chat.stderr
    lines = json_lines(chat.stdout)
    assert lines[-1]["type"] == "done"
    assert "".join(x["text"] for x in lines if x["type"] == "text") == lines[-1]["reply"]
    assert lines[-1]["credits"]["available"] == 500

    state = artgen("state", url=local_backend)
    (info,) = json_lines(state.stdout)
    assert info["type"] == "state"
    assert info["session_id"] == lines[-1]["session_id"]  # the session was resumed
    assert info["rows"] == [] and info["ready_for_export"] is False

    credits = artgen("credits", "--json", url=local_backend)
    assert json_lines(credits.stdout) == [
        {"type": "credits", "available": 500, "frozen": 0, "total": 500}
    ]


def test_human_output_for_state_and_credits(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    credits = artgen("credits", "--no-json", url=local_backend)
    assert credits.stdout.strip() == "Credits: 500 available · 0 frozen · 500 total"
    state = artgen("--no-json", "state", url=local_backend)
    assert "The timeline is empty" in state.stdout


def test_silent_edit_prints_the_diff_sentence(
    tmp_path: Path, artgen: Callable[..., Result]
) -> None:
    with silent_backend(tmp_path / "be") as url:
        assert artgen("chat", GENERATE, url=url).returncode == 0
        edit = artgen("chat", 'add title "Urban Dreams"', "--no-json", url=url)
    assert edit.returncode == 0, edit.stderr
    assert edit.stdout.startswith("Timeline updated: changed text track")
    assert "'Urban Dreams'" in edit.stdout


def test_new_session_and_explicit_session(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    first = json_lines(artgen("chat", "hello", url=local_backend).stdout)[-1]["session_id"]
    fresh = json_lines(artgen("chat", "hello", "--new-session", url=local_backend).stdout)
    assert fresh[-1]["session_id"] != first
    back = json_lines(artgen("state", "--session", first, url=local_backend).stdout)
    assert back[0]["session_id"] == first


def test_upload_files_and_refusals(
    local_backend: str, tmp_path: Path, artgen: Callable[..., Result]
) -> None:
    photo = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), (200, 40, 90)).save(photo)
    ok = artgen("upload", str(photo), "--no-json", url=local_backend)
    assert ok.returncode == 0, ok.stderr
    assert "Uploaded photo.png." in ok.stdout

    notes = tmp_path / "notes.txt"
    notes.write_text("hi")
    clip = tmp_path / "clip 2.png"
    Image.new("RGB", (64, 48), (20, 40, 90)).save(clip)
    items = [str(photo), str(notes), str(tmp_path / "gone.mp4"), str(clip)]
    bad = artgen("upload", *items, url=local_backend)
    assert bad.returncode == 1, bad.stderr
    assert "Traceback" not in bad.stderr
    event = json_lines(bad.stdout)[-1]
    assert event["type"] == "upload"
    assert [(r["name"], r["status"]) for r in event["results"]] == [
        ("photo.png", "done"),
        ("notes.txt", "refused"),
        ("gone.mp4", "refused"),
        ("clip 2.png", "done"),
    ]
    assert "notes.txt" in event["results"][1]["reason"]
    assert len(event["files"]) == 2 and event["files"][1]["filename"] == "clip 2.png"
    text = artgen("upload", str(notes), str(clip), "--no-json", url=local_backend)
    assert text.returncode == 1
    assert "Uploaded 1 of 2." in text.stdout and "notes.txt: refused (" in text.stdout


def test_a_followed_jobs_exit_code_comes_from_the_job_states() -> None:
    """Every job state has its exit code; the CLI reads core.jobs' sets, not its own copy."""
    from typing import get_args

    from artgen_tui.core.jobs import FINAL, RENDERING, UNFINISHED, JobStatus

    codes = {status: cli._job_exit(status) for status in get_args(JobStatus)}
    assert codes == {
        "pending": 0,
        "processing": 0,
        "completed": 0,
        "downloading": 1,
        "downloaded": 0,
        "failed": 1,
        "cancelled": 1,
        "download_failed": 2,
    }
    assert set(codes) == FINAL | UNFINISHED and RENDERING <= UNFINISHED


def test_export_of_an_empty_timeline_is_a_permanent_error(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    result = artgen("export", "--no-json", url=local_backend)
    assert result.returncode == 1
    assert "nothing to export" in result.stderr


def test_jobs_cancel_needs_an_id_and_unknown_ids_are_explained(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    missing = artgen("jobs", "cancel", url=local_backend)
    assert missing.returncode == 1 and "needs a job id" in missing.stderr
    unknown = artgen("jobs", "cancel", "render_nope", url=local_backend)
    assert unknown.returncode == 1 and "render_nope" in unknown.stderr
    empty = artgen("jobs", "--no-json", url=local_backend)
    assert empty.returncode == 0 and "No export jobs yet" in empty.stdout


def test_bad_config_exits_1_with_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "en"\nrequest_timeout = "soon"\n')
    result = run("credits", env={"ARTGEN_CONFIG": str(config)})
    assert result.returncode == 1
    assert f"{config}, line 2: key 'request_timeout'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_server_exits_2() -> None:
    result = run("credits", url=f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2
    assert result.stderr.startswith("artgen: ")
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_trust_store_exits_1_naming_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "missing-ca.pem"
    result = run(
        "credits", url=f"http://127.0.0.1:{free_port()}", env={"SSL_CERT_FILE": str(missing)}
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"artgen: The certificates for https could not be loaded from SSL_CERT_FILE ({missing}):"
        " No such file or directory. Fix or unset SSL_CERT_FILE, then try again.\n"
    )


def test_rate_limit_notice_goes_to_stderr(
    local_backend: str, artgen: Callable[..., Result]
) -> None:
    httpx.post(f"{local_backend}/_faults", content="rate_limit=1").raise_for_status()
    result = artgen("credits", "--no-json", url=local_backend)
    assert result.returncode == 0, result.stderr
    assert "Rate limited" in result.stderr
    assert result.stdout.startswith("Credits:")


def test_local_flag_keeps_the_session_between_runs(tmp_path: Path) -> None:
    env = {"ARTGEN_LOCAL__STAGE_DELAY": "0", "ARTGEN_LOCAL__HEARTBEAT_INTERVAL": "0.05"}
    first = run("--local", "chat", "hello", env=env)
    assert first.returncode == 0, first.stderr
    second = run("state", "--local", env=env)
    assert second.returncode == 0, second.stderr
    assert json_lines(second.stdout)[0]["session_id"] == json_lines(first.stdout)[-1]["session_id"]


def test_serve_local_serves_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-m", "artgen_tui", "serve-local", "--port", str(port),
         "--data-dir", str(tmp_path / "be")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{url}/_faults", timeout=1)
                break
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "serve-local did not start"
            time.sleep(0.1)
        credits = run("credits", "--json", url=url)
        assert credits.returncode == 0, credits.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"NEMO_API_URL=http://127.0.0.1:{port}" in err


def test_serve_local_rejects_a_bad_fault_spec(tmp_path: Path) -> None:
    result = run("serve-local", "--port", str(free_port()), "--faults", "gremlins=3",
                 "--data-dir", str(tmp_path / "be"))  # fmt: skip
    assert result.returncode == 1
    assert "gremlins" in result.stderr and "Traceback" not in result.stderr
    assert "point clients at it" not in result.stderr  # refused before announcing a server


def test_typed_commands_work_in_chat(local_backend: str, artgen: Callable[..., Result]) -> None:
    credits = artgen("chat", "余额", "--no-json", url=local_backend)
    assert credits.stdout.startswith("Credits: 500 available"), credits.stderr
    state = artgen("chat", "show tracks", "--no-json", url=local_backend)
    assert "The timeline is empty" in state.stdout
    help_ = artgen("chat", "/help", "--no-json", url=local_backend)
    assert "/upload [FILE|URL…]" in help_.stdout
    unknown = artgen("chat", "/frobnicate", url=local_backend)
    assert unknown.returncode == 1 and "/frobnicate" in unknown.stderr


def test_jobs_list_works_offline(artgen: Callable[..., Result]) -> None:
    result = artgen("jobs", "--no-json", url=f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 0, result.stderr
    assert "No export jobs yet" in result.stdout


@pytest.mark.slow
def test_export_now_and_resume_later(local_backend: str, tmp_path: Path) -> None:
    assert run("chat", GENERATE, url=local_backend).returncode == 0
    submitted = run(
        "export", "-o", "later.mp4", "--resolution", "360p", "--no-json",
        url=local_backend, cwd=tmp_path,
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    assert "submitted" in submitted.stdout and "artgen jobs resume" in submitted.stdout
    resumed = run("jobs", "resume", url=local_backend)
    assert resumed.returncode == 0, resumed.stderr
    lines = json_lines(resumed.stdout)
    assert lines[-1]["status"] == "downloaded"
    assert lines[-1]["path"] == str(tmp_path / "later.mp4")
    assert (tmp_path / "later.mp4").stat().st_size > 0
    again = run("jobs", "resume", "--no-json", url=local_backend)
    assert again.stdout.strip() == "No unfinished export jobs."


async def test_export_json_lines_are_one_per_change_not_per_read(tmp_path: Path) -> None:
    """A 200 MB download reads thousands of chunks; scripts get a line per whole percent."""
    import argparse
    import io

    from artgen_tui.config import load_settings
    from artgen_tui.core.jobs import ExportJob

    total = 200 * 1024 * 1024

    async def updates() -> Any:
        job = ExportJob(id="render_1", session_id="s", status="processing", progress=50)
        yield job
        job = replace(job, status="downloading", progress=100, download_total=total)
        for done in range(0, total + 1, 64 * 1024):
            yield replace(job, download_bytes=done)
        yield replace(job, status="downloaded", download_bytes=total, path=str(tmp_path / "x.mp4"))

    buf = io.StringIO()
    ctx = cli.Context(
        argparse.Namespace(),
        load_settings(tmp_path / "none.toml"),
        cli.Output(json_mode=True, out=buf, err=io.StringIO()),
    )
    assert await cli._follow(ctx, updates()) == 0
    lines = json_lines(buf.getvalue())
    assert lines[-1]["status"] == "downloaded"
    assert 100 <= len(lines) <= 105, len(lines)


def test_jobs_retry_of_a_failed_render_exports_the_current_timeline_and_says_so(
    local_backend: str, artgen: Callable[..., Result], tmp_path: Path
) -> None:
    """The same rule as the app's r key (core.jobs.retry_kind): a new export, announced."""
    assert artgen("chat", GENERATE, url=local_backend).returncode == 0
    httpx.post(f"{local_backend}/_faults", content="fail_render=1").raise_for_status()
    out = str(tmp_path / "clip.mp4")
    failed = artgen("export", "--wait", "-o", out, "--resolution", "360p", url=local_backend)
    (job,) = [j for j in json_lines(failed.stdout) if j.get("status") == "failed"][-1:]
    assert failed.returncode != 0
    retried = artgen("jobs", "retry", job["id"], "--no-json", url=local_backend)
    assert retried.returncode == 0, retried.stderr
    assert f"Export {job['id']} failed; it cannot be re-run as it was" in retried.stderr
    assert "the current timeline is exported again as render_" in retried.stderr
    assert "Saved " in retried.stdout
    rendering = artgen("jobs", "retry", "render_nope", url=local_backend)
    assert rendering.returncode != 0

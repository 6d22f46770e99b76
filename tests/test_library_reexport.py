"""Re-exporting a library item: its stored draft rendered again into a new file (headless face
and core rule; the app's face is in test_tui_library_actions.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_run import Result

from artgen_tui.api.models import Credits
from artgen_tui.core import reexport, sidecar
from artgen_tui.core.spend import SpendGuard

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"
TITLE = 'add title "Urban Dreams"'


def lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def journal(home: Path) -> list[dict[str, Any]]:
    path = home / "state" / "jobs.json"
    if not path.exists():
        return []
    jobs: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))["jobs"]
    return jobs


def exported(artgen: Callable[..., Result], url: str, target: Path) -> Path:
    """A generated video exported at 360p to ``target`` (with its sidecar)."""
    assert artgen("chat", GENERATE, url=url).returncode == 0
    done = artgen("export", "--wait", "-o", str(target), "--resolution", "360p", url=url)
    assert done.returncode == 0, done.stderr
    return target


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reexport_renders_the_stored_draft_into_a_new_file(
    local_backend: str, tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    before = digest(city)
    original = sidecar.read(city)
    assert original is not None and original["draft"]
    # The timeline moves on after the export: a re-export must still render the stored draft.
    assert artgen("chat", TITLE, url=local_backend).returncode == 0
    state = lines(artgen("state", "--json", url=local_backend).stdout)

    done = artgen(
        "library", "reexport", str(city), "--resolution", "720p", "--wait", "--json",
        url=local_backend,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    jobs = [e for e in lines(done.stdout) if e["type"] == "job"]
    final = jobs[-1]
    assert final["status"] == "downloaded" and final["source"] == str(city)
    new = Path(final["path"])
    assert new.parent == tmp_path and new != city and new.name.endswith(f"{final['id']}.mp4")
    assert digest(city) == before, "the original is never replaced"

    data = sidecar.read(new)
    assert data is not None
    assert data["draft"] == original["draft"], "the stored draft, not the current timeline"
    assert data["prompts"] == [GENERATE] and data["reexport_of"] == "city.mp4"
    assert data["resolution"] == "720p" and data["height"] == 720
    assert data["session_id"] == original["session_id"]
    assert data["sha256"] == digest(new)
    assert lines(artgen("state", "--json", url=local_backend).stdout) == state, "timeline untouched"
    assert any(j["id"] == final["id"] and j["source"] == str(city) for j in journal(isolated_home))

    listed = lines(artgen("library", "--json", url=local_backend).stdout)
    assert {r["path"] for r in listed} >= {str(city), str(new)}


def test_reexport_defaults_to_the_files_own_resolution_and_output_can_be_named(
    local_backend: str, tmp_path: Path, artgen: Callable[..., Result]
) -> None:
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    target = tmp_path / "again" / "copy.mp4"
    done = artgen(
        "library", "reexport", str(city), "-o", str(target), "--wait", "--no-json",
        url=local_backend,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Saved {target}" in done.stdout and "(360p)" in done.stderr
    data = sidecar.read(target)
    assert data is not None and data["height"] == 360


def test_a_result_without_a_draft_says_why_and_what_to_do(
    local_backend: str, tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    data = sidecar.read(city)
    assert data is not None
    sidecar.write(city, {**data, "draft": None})
    count = len(journal(isolated_home))

    refused = artgen("library", "reexport", str(city), "--no-json", url=local_backend)
    assert refused.returncode == 1
    assert "city.mp4 has no stored draft, so it can't be re-exported" in refused.stderr
    assert f"artgen --session {data['session_id']}" in refused.stderr
    bare = tmp_path / "bare.mp4"
    bare.write_bytes(city.read_bytes())
    refused = artgen("library", "reexport", str(bare), "--no-json", url=local_backend)
    assert refused.returncode == 1 and "bare.mp4 has no sidecar" in refused.stderr
    refused = artgen("library", "reexport", str(tmp_path / "gone.mp4"), url=local_backend)
    assert refused.returncode == 1 and "gone.mp4 is no longer there" in refused.stderr
    missing = artgen("library", "reexport", url=local_backend)
    assert missing.returncode == 1 and "needs the MP4" in missing.stderr
    assert len(journal(isolated_home)) == count, "nothing submitted"


def test_reexport_never_replaces_its_source(
    local_backend: str, tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    count = len(journal(isolated_home))
    refused = artgen("library", "reexport", str(city), "-o", str(city), url=local_backend)
    assert refused.returncode == 1 and "never replaces city.mp4" in refused.stderr
    assert "will cost" not in refused.stderr, "refused before it is priced"
    assert len(journal(isolated_home)) == count


def test_reexport_over_the_limit_is_refused_without_yes(
    local_backend: str, tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    guard = SpendGuard(local_backend, history_path=isolated_home / "state" / "spend.json")
    for _ in range(2):  # the export above was free: its 0 is in the history too
        guard.record("export", Credits(available=100), Credits(available=70))
    config = tmp_path / "config.toml"
    config.write_text("[spend]\nlimit = 20\n")
    count = len(journal(isolated_home))
    refused = artgen(
        "library", "reexport", str(city), "--config", str(config), "--no-json", url=local_backend
    )
    assert refused.returncode == 1
    assert "export will cost about 30 credits" in refused.stderr
    assert "per-run limit of 20" in refused.stderr and "--yes" in refused.stderr
    assert len(journal(isolated_home)) == count, "nothing submitted"
    sent = artgen(
        "library", "reexport", str(city), "--config", str(config), "--yes", "--no-json",
        url=local_backend,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "submitted" in sent.stdout and len(journal(isolated_home)) == count + 1


def test_a_session_the_server_lost_renders_under_the_current_one(
    local_backend: str, tmp_path: Path, artgen: Callable[..., Result]
) -> None:
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    data = sidecar.read(city)
    assert data is not None
    sidecar.write(city, {**data, "session_id": "1234567890123456789"})
    done = artgen("library", "reexport", str(city), "--wait", "--json", url=local_backend)
    assert done.returncode == 0, done.stderr
    final = [e for e in lines(done.stdout) if e["type"] == "job"][-1]
    assert final["status"] == "downloaded"
    assert final["session_id"] == data["session_id"], "the current session, not the lost one"


def test_a_failed_reexport_retries_its_stored_draft(
    local_backend: str, tmp_path: Path, isolated_home: Path, artgen: Callable[..., Result]
) -> None:
    """`jobs retry` of a re-export that did not render renders the source's draft again, not
    the current timeline."""
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    sent = artgen("library", "reexport", str(city), "--json", url=local_backend)
    job = [e for e in lines(sent.stdout) if e["type"] == "job"][-1]
    path = isolated_home / "state" / "jobs.json"
    raw = json.loads(path.read_text("utf-8"))
    for entry in raw["jobs"]:
        if entry["id"] == job["id"]:
            entry["status"], entry["error"] = "failed", "the render failed"
    path.write_text(json.dumps(raw))
    assert artgen("chat", TITLE, url=local_backend).returncode == 0

    retried = artgen("jobs", "retry", job["id"], "--json", url=local_backend)
    assert retried.returncode == 0, retried.stderr
    assert "stored draft of city.mp4 is rendered again" in retried.stderr
    final = [e for e in lines(retried.stdout) if e["type"] == "job"][-1]
    assert final["id"] != job["id"] and final["status"] == "downloaded"
    again = sidecar.read(Path(final["path"]))
    original = sidecar.read(city)
    assert again is not None and original is not None
    assert again["draft"] == original["draft"] and again["reexport_of"] == "city.mp4"


def test_can_reexport_names_the_reason(tmp_path: Path) -> None:
    mp4 = tmp_path / "v.mp4"
    mp4.write_bytes(b"not really a video")
    assert "has no sidecar" in (reexport.can_reexport(mp4) or "")
    sidecar.write(mp4, {"session_id": "s1", "draft": {"t": [{"sg": []}]}, "resolution": "540p"})
    assert reexport.can_reexport(mp4) is None
    source = reexport.load(mp4)
    assert source.session_id == "s1" and source.resolution is None, "not a size export asks for"


@pytest.mark.parametrize("value", [None, {}, [], "draft"])
def test_no_usable_draft_is_not_reexportable(tmp_path: Path, value: object) -> None:
    mp4 = tmp_path / "v.mp4"
    mp4.write_bytes(b"x")
    sidecar.write(mp4, {"session_id": "s1", "draft": value})
    with pytest.raises(reexport.NotReexportable, match="no stored draft"):
        reexport.load(mp4)


def test_an_interrupted_reexport_resumes_with_its_sources_draft(
    local_backend: str, tmp_path: Path, artgen: Callable[..., Result]
) -> None:
    """Submitted by one process, downloaded by another (`jobs resume`): the journal names the
    source, so the new file's sidecar still keeps the draft and the prompts."""
    city = exported(artgen, local_backend, tmp_path / "city.mp4")
    sent = artgen("library", "reexport", str(city), "--json", url=local_backend)
    assert sent.returncode == 0, sent.stderr
    job = [e for e in lines(sent.stdout) if e["type"] == "job"][-1]
    assert job["status"] in ("pending", "processing") and job["source"] == str(city)

    resumed = artgen("jobs", "resume", "--json", url=local_backend)
    assert resumed.returncode == 0, resumed.stderr
    final = [e for e in lines(resumed.stdout) if e["type"] == "job" and e["id"] == job["id"]][-1]
    assert final["status"] == "downloaded"
    data, original = sidecar.read(Path(final["path"])), sidecar.read(city)
    assert data is not None and original is not None
    assert data["draft"] == original["draft"] and data["prompts"] == [GENERATE]
    assert data["reexport_of"] == "city.mp4"


def test_an_export_resumed_by_another_run_keeps_its_draft_and_can_be_reexported(
    local_backend: str, tmp_path: Path, artgen: Callable[..., Result], isolated_home: Path
) -> None:
    """`artgen export` (no --wait) submits; a later `jobs resume` downloads. The draft the render
    was made from was kept beside the journal, so the result's sidecar has it."""
    assert artgen("chat", GENERATE, url=local_backend).returncode == 0
    target = tmp_path / "later.mp4"
    sent = artgen("export", "-o", str(target), "--resolution", "360p", "--json", url=local_backend)
    assert sent.returncode == 0, sent.stderr
    job = [e for e in lines(sent.stdout) if e["type"] == "job"][-1]
    kept = isolated_home / "state" / "drafts" / f"{job['id']}.json"
    assert kept.exists() and kept.stat().st_mode & 0o777 == 0o600

    resumed = artgen("jobs", "resume", "--json", url=local_backend)
    assert resumed.returncode == 0, resumed.stderr
    data = sidecar.read(target)
    assert data is not None and isinstance(data.get("draft"), dict) and data["draft"]
    assert not kept.exists(), "the kept draft is dropped once the sidecar has it"
    assert reexport.can_reexport(target) is None

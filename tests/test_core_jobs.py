"""Export jobs against a real local backend: submit, follow, download, journal, resume, retry."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import av
import httpx
import pytest

from artgen_tui.config import Settings, load_settings
from artgen_tui.core import conversation as conv
from artgen_tui.core.jobs import EmptyDraft, ExportJob, JobManager, UnknownJob
from artgen_tui.core.workspace import Workspace

GENERATE = "generate a calm ocean at dawn, watercolor, 2 seconds"


def settings_for(url: str) -> Settings:
    return load_settings(api_url=url, render_poll_interval=0.05)


async def generate(ws: Workspace) -> None:
    async for event in conv.run_turn(ws, GENERATE):
        if isinstance(event, conv.TurnDone):
            assert ws.last_state is not None and ws.last_state.draft.ready_for_export


def assert_playable(path: Path) -> None:
    with av.open(str(path)) as container:
        kinds = {s.type for s in container.streams}
        assert "video" in kinds
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        frame = next(container.decode(video=0))
        assert frame.width > 0 and frame.height > 0


def rendered_files(backend_dir: Path) -> list[Path]:
    return sorted(backend_dir.rglob("render_*.mp4"))


async def test_submit_refuses_an_empty_draft(local_backend: str, tmp_path: Path) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        manager = JobManager(ws, tmp_path / "out", journal_path=tmp_path / "jobs.json")
        with pytest.raises(EmptyDraft) as info:
            await manager.submit()
    assert "nothing to export" in info.value.user_text()
    assert "Describe a video" in info.value.user_text()
    assert manager.jobs() == []


@pytest.mark.slow
async def test_export_downloads_a_playable_mp4(local_backend: str, tmp_path: Path) -> None:
    journal = tmp_path / "state" / "jobs.json"
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        await generate(ws)
        manager = JobManager(ws, tmp_path / "out", journal_path=journal)
        job = await manager.submit(resolution="360p")
        assert job.status in ("pending", "processing")
        updates = [(j.status, j.progress) async for j in manager.follow(job.id)]
    statuses = [s for s, _ in updates]
    assert statuses[-1] == "downloaded"
    assert "downloading" in statuses
    progress = [p for s, p in updates if s in ("pending", "processing")]
    assert progress == sorted(progress)
    final = manager.get(job.id)
    assert final.path is not None
    path = Path(final.path)
    assert path.parent == tmp_path / "out"
    assert path.name == f"calm-ocean-at-dawn-{job.id}.mp4"
    assert path.stat().st_size == final.download_bytes == final.download_total
    assert_playable(path)
    assert not list(path.parent.glob("*.part"))
    assert stat.S_IMODE(os.stat(journal).st_mode) == 0o600
    saved = json.loads(journal.read_text())["jobs"]
    assert [(j["id"], j["status"]) for j in saved] == [(job.id, "downloaded")]


@pytest.mark.slow
async def test_journal_survives_and_resume_completes(local_backend: str, tmp_path: Path) -> None:
    journal = tmp_path / "jobs.json"
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        await generate(ws)
        job = await JobManager(ws, tmp_path / "out", journal_path=journal).submit(resolution="360p")
    # A new process: new workspace, new manager over the same journal.
    async with Workspace(settings_for(local_backend)) as ws:
        manager = JobManager(ws, tmp_path / "out", journal_path=journal)
        assert [j.id for j in manager.resumable()] == [job.id]
        final = [j async for j in manager.resume()][-1]
        assert final.status == "downloaded"
        assert manager.resumable() == []
    assert final.path is not None
    assert_playable(Path(final.path))


@pytest.mark.slow
async def test_failed_download_is_kept_and_retry_does_not_render_again(
    local_backend: str, backend_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file where the output folder should be")
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        await generate(ws)
        manager = JobManager(ws, blocker / "videos", journal_path=tmp_path / "jobs.json")
        job = await manager.submit(resolution="360p")
        final = [j async for j in manager.follow(job.id)][-1]
        assert final.status == "download_failed"
        assert final.error
        renders_before = rendered_files(backend_dir)

        blocker.unlink()
        again = JobManager(ws, blocker / "videos", journal_path=tmp_path / "jobs.json")
        assert again.get(job.id).status == "download_failed"
        retried = [j async for j in again.retry_download(job.id)][-1]
    assert retried.status == "downloaded" and retried.id == job.id
    assert retried.path is not None
    assert_playable(Path(retried.path))
    assert rendered_files(backend_dir) == renders_before


@pytest.mark.slow
async def test_failed_render_is_reported(local_backend: str, tmp_path: Path) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        await generate(ws)
        httpx.post(f"{local_backend}/_faults", content="fail_render=1").raise_for_status()
        manager = JobManager(ws, tmp_path / "out", journal_path=tmp_path / "jobs.json")
        job = await manager.submit(resolution="360p")
        final = [j async for j in manager.follow(job.id)][-1]
    assert final.status == "failed"
    assert final.error
    assert final.finished
    with pytest.raises(UnknownJob):
        [j async for j in manager.retry_download(job.id)]


@pytest.mark.slow
async def test_expired_download_url_falls_back(local_backend: str, tmp_path: Path) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        await generate(ws)
        httpx.post(f"{local_backend}/_faults", content="expire_download=1").raise_for_status()
        manager = JobManager(ws, tmp_path / "out", journal_path=tmp_path / "jobs.json")
        job = await manager.submit(resolution="360p")
        final = [j async for j in manager.follow(job.id)][-1]
    assert final.status == "downloaded"
    assert final.path is not None
    assert_playable(Path(final.path))


async def test_cancel_stops_the_job(local_backend: str, tmp_path: Path) -> None:
    async with Workspace(settings_for(local_backend)) as ws:
        await ws.ready()
        await generate(ws)
        manager = JobManager(ws, tmp_path / "out", journal_path=tmp_path / "jobs.json")
        job = await manager.submit(resolution="360p")
        cancelled = await manager.cancel(job.id)
        assert cancelled.status == "cancelled"
        assert [j async for j in manager.follow(job.id)] == []
        assert manager.resumable() == []
    reread = JobManager(ws, tmp_path / "out", journal_path=tmp_path / "jobs.json")
    assert reread.get(job.id).status == "cancelled"
    with pytest.raises(UnknownJob):
        reread.get("render_nope")


async def test_broken_journal_never_crashes(local_backend: str, tmp_path: Path) -> None:
    journal = tmp_path / "jobs.json"
    good = ExportJob(id="render_ok", session_id="1", api_url=local_backend, status="downloaded")
    other = ExportJob(id="render_cloud", session_id="2", api_url="https://elsewhere.example")
    journal.write_text(
        json.dumps(
            {
                "jobs": [
                    good.to_json(),
                    other.to_json(),
                    {"id": 5},
                    "junk",
                    {"id": "render_odd", "session_id": "3", "status": "exploded", "extra": 1},
                    {"id": "render_bad", "session_id": "4", "progress": {"no": 1}, "bogus": True},
                ]
            }
        )
    )
    async with Workspace(settings_for(local_backend)) as ws:
        manager = JobManager(ws, tmp_path / "out", journal_path=journal)
        ids = {j.id for j in manager.jobs()}
        assert "render_ok" in ids and "render_cloud" not in ids
        assert manager.get("render_odd").status == "failed"
        bad = manager.get("render_bad")
        assert bad.progress == 0
        assert "render_bad" in bad.describe()
        journal.write_text("{not json")
        assert JobManager(ws, tmp_path / "out", journal_path=journal).jobs() == []


async def test_two_managers_share_one_journal(local_backend: str, tmp_path: Path) -> None:
    journal = tmp_path / "jobs.json"
    async with Workspace(settings_for(local_backend)) as ws:
        first = JobManager(ws, tmp_path / "out", journal_path=journal)
        second = JobManager(ws, tmp_path / "out", journal_path=journal)
        job_a = ExportJob(id="render_a", session_id="1", api_url=ws.identity, created_at=1.0)
        job_b = ExportJob(id="render_b", session_id="1", api_url=ws.identity, created_at=2.0)
        first._save(job_a)
        second._save(job_b)  # must not drop render_a
        assert [j.id for j in first.jobs()] == ["render_a", "render_b"]
        held = first.get("render_b")
        theirs = second.get("render_b")
        theirs.status = "cancelled"
        second._save(theirs)
        first.jobs()
        assert held.status == "cancelled"  # the object handed out earlier is kept current

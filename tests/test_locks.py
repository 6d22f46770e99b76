"""Several artgen processes on one home: the shared files' read-merge-writes lose nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from artgen_tui import paths
from artgen_tui.core.jobs import ExportJob, supersedes
from artgen_tui.local.options import LocalOptions
from artgen_tui.local.runner import LocalBackend

GENERATE = "generate a futuristic city at sunset, cinematic, 2 seconds"

COUNTER = """
import json, sys
from pathlib import Path
from artgen_tui import paths
target, rounds, use_lock = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
for _ in range(rounds):
    if use_lock:
        with paths.locked(target):
            data = paths.read_json(target) or {"n": 0}
            paths.atomic_write_json(target, {"n": data["n"] + 1})
    else:
        data = paths.read_json(target) or {"n": 0}
        paths.atomic_write_json(target, {"n": data["n"] + 1})
"""


def _count_with(tmp_path: Path, *, lock: bool, workers: int = 4, rounds: int = 60) -> int:
    target = tmp_path / ("locked.json" if lock else "unlocked.json")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, str(target), str(rounds), "1" if lock else "0"]
        )
        for _ in range(workers)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    data = paths.read_json(target)
    return int(data["n"]) if isinstance(data, dict) else 0


def test_read_merge_writes_under_the_lock_lose_no_update(tmp_path: Path) -> None:
    assert _count_with(tmp_path, lock=True) == 4 * 60


def test_the_same_writes_without_the_lock_do_lose_updates(tmp_path: Path) -> None:
    """The control: the counter test above can fail (updates are lost without the lock)."""
    assert any(_count_with(tmp_path / str(i), lock=False) < 4 * 60 for i in range(3))


HOLDER = """
import sys, time
from pathlib import Path
from artgen_tui import paths
with paths.locked(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_held_lock_makes_others_wait_then_gives_up_naming_the_file(tmp_path: Path) -> None:
    target = tmp_path / "state" / "jobs.json"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(target), "4"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(paths.LockTimeout, match=r"jobs\.json"), paths.locked(target, wait=0.3):
            pass
        assert time.monotonic() - started >= 0.3
        with paths.locked(target, wait=60):  # granted once the holder lets go
            assert time.monotonic() - started > 1.0
    finally:
        holder.kill()
        holder.wait()
    assert oct(paths.lock_path(target).stat().st_mode & 0o777) == "0o600"


def _job(status: str, updated_at: float) -> ExportJob:
    return ExportJob(id="render_1", session_id="s", status=status, updated_at=updated_at)  # type: ignore[arg-type]


def test_the_later_update_wins_and_a_tie_keeps_the_finished_state() -> None:
    assert supersedes(_job("downloaded", 2.0), _job("downloading", 1.0))
    assert not supersedes(_job("downloading", 1.0), _job("downloaded", 2.0))
    assert supersedes(_job("downloaded", 1.0), _job("downloading", 1.0))
    assert not supersedes(_job("downloading", 1.0), _job("downloaded", 1.0))
    # A later unfinished state is a real change (a finished render downloaded again).
    assert supersedes(_job("downloading", 3.0), _job("downloaded", 2.0))


JOURNAL_WRITER = """
import sys, time
from pathlib import Path
from artgen_tui.config import load_settings
from artgen_tui.core.jobs import ExportJob, JobManager
from artgen_tui.core.workspace import Workspace

name, count = sys.argv[1], int(sys.argv[2])
manager = JobManager(Workspace(load_settings()), journal_path=Path(sys.argv[3]))
for i in range(count):
    job = ExportJob(id=f"{name}-{i}", session_id="s", created_at=time.time())
    manager._save(job)
    for status in ("processing", "completed", "downloading", "downloaded"):
        job.status = status
        manager._save(job)
"""


def test_journal_writers_in_several_processes_keep_every_final_state(tmp_path: Path) -> None:
    journal = tmp_path / "jobs.json"
    procs = [
        subprocess.Popen([sys.executable, "-c", JOURNAL_WRITER, name, "15", str(journal)])
        for name in ("a", "b", "c")
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    jobs = json.loads(journal.read_text())["jobs"]
    assert len(jobs) == 45
    assert {j["status"] for j in jobs} == {"downloaded"}


# --- end to end: two exports and a chatty third process on one home ---------------------------


def _artgen(url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NEMO_API_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "artgen_tui", *args, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = proc.communicate(timeout=180)
    return proc.returncode, err


CHATTY = """
import subprocess, sys
for message in ["add title \\"Round {n}\\"", "make it 9:16"]:
    for args in (["chat", message], ["state"], ["credits"], ["jobs", "list"]):
        done = subprocess.run([sys.executable, "-m", "artgen_tui", *args, "--json"],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            sys.exit(f"{{args}}: {{done.stderr}}")
"""


def _journal(home: Path) -> list[dict[str, Any]]:
    raw = json.loads((home / "state" / "jobs.json").read_text())
    return list(raw["jobs"])


@pytest.mark.slow
def test_two_exports_and_a_chat_on_one_home_leave_a_journal_that_agrees_with_the_files(
    tmp_path: Path, isolated_home: Path
) -> None:
    options = LocalOptions(stage_delay=0.0, heartbeat_interval=0.05, silent_close_rate=0.3)
    rounds = int(os.environ.get("ARTGEN_LOCK_ROUNDS", "2"))
    with LocalBackend(tmp_path / "backend", options=options) as backend:
        code, err = _finish(_artgen(backend.url, "chat", GENERATE))
        assert code == 0, err
        outputs: list[Path] = []
        for n in range(rounds):
            mine = [tmp_path / "out" / f"round{n}-{k}.mp4" for k in ("a", "b")]
            outputs += mine
            exports = [
                _artgen(backend.url, "export", "--wait", "--resolution", "360p", "-o", str(p))
                for p in mine
            ]
            chatty = subprocess.Popen(
                [sys.executable, "-c", CHATTY.format(n=n)],
                env={**os.environ, "NEMO_API_URL": backend.url},
                stderr=subprocess.PIPE,
                text=True,
            )
            for proc in exports:
                code, err = _finish(proc)
                assert code == 0, err
            _, chat_err = chatty.communicate(timeout=300)
            assert chatty.returncode == 0, chat_err
    jobs = {j["path"]: j for j in _journal(isolated_home)}
    assert sorted(jobs) == sorted(str(p) for p in outputs)
    for path in outputs:
        job = jobs[str(path)]
        assert job["status"] == "downloaded", job
        assert path.is_file() and path.stat().st_size > 0
        assert job["download_bytes"] == job["download_total"] == path.stat().st_size
        assert not path.with_name(path.name + ".part").exists()


def test_a_process_that_did_not_see_a_job_finish_cannot_unfinish_it(tmp_path: Path) -> None:
    from artgen_tui.config import load_settings
    from artgen_tui.core.jobs import JobManager
    from artgen_tui.core.workspace import Workspace

    journal = tmp_path / "jobs.json"
    ws = Workspace(load_settings(tmp_path / "none.toml"))
    first = JobManager(ws, journal_path=journal)
    first._save(ExportJob(id="render_1", session_id="s", status="processing", created_at=1.0))
    second = JobManager(ws, journal_path=journal)  # reads it while still processing
    mine, theirs = first.get("render_1"), second.get("render_1")
    assert mine is not theirs and theirs.status == "processing"
    mine.status = "downloaded"
    first._save(mine)
    theirs.status = "completed"  # a stale follower's change
    second._save(theirs)
    on_disk = JobManager(ws, journal_path=journal).get("render_1")
    assert on_disk.status == theirs.status == "downloaded"
    theirs.status = "downloading"  # now it has seen it finish: downloading again is a real change
    second._save(theirs)
    assert JobManager(ws, journal_path=journal).get("render_1").status == "downloading"


def test_a_job_another_process_forgot_is_not_written_back(tmp_path: Path) -> None:
    """A process that read a job before another dropped it (a refused export) must not put it
    back when it next saves one of its own."""
    from artgen_tui.config import load_settings
    from artgen_tui.core.jobs import JobManager
    from artgen_tui.core.workspace import Workspace

    journal = tmp_path / "jobs.json"
    ws = Workspace(load_settings(tmp_path / "none.toml"))
    forgetter = JobManager(ws, journal_path=journal)
    forgetter._save(ExportJob(id="refused", session_id="s", created_at=1.0))
    reader = JobManager(ws, journal_path=journal)
    assert reader.get("refused").id == "refused"  # read while it was still there
    forgetter._forget("refused")
    reader._save(ExportJob(id="render_2", session_id="s", created_at=2.0))
    assert [j["id"] for j in json.loads(journal.read_text())["jobs"]] == ["render_2"]


# --- the other shared files: session index, prompt history, journal forgets, client id ------------


def _run_all(script: str, *argv_sets: list[str]) -> None:
    """Start ``script`` once per argument list, all at once, and wait for every one to succeed."""
    procs = [
        subprocess.Popen([sys.executable, "-c", script, *argv], stderr=subprocess.PIPE, text=True)
        for argv in argv_sets
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err


SESSION_TOUCHER = """
import sys
from pathlib import Path
from artgen_tui.core.sessions import SessionIndex
name, count, home = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
index = SessionIndex("http://127.0.0.1:1", state_dir=home, transcripts=home / "t",
                     journal=home / "jobs.json")
for i in range(count):
    index.touch(f"sess_{name}{i:03d}", parent="sess_root" if i % 2 else None)
for i in range(0, count, 10):
    index.rename(f"sess_{name}{i:03d}", f"Title {name}{i}")
for i in range(5, count, 10):
    index.delete(f"sess_{name}{i:03d}")
"""


def test_session_index_writers_in_several_processes_keep_every_session(tmp_path: Path) -> None:
    """The audit's case: 4 processes touching 60 session ids each kept 72 of 240 unlocked."""
    from artgen_tui.core.sessions import SessionIndex

    names = "abcd"
    _run_all(SESSION_TOUCHER, *([n, "60", str(tmp_path)] for n in names))
    index = SessionIndex("http://127.0.0.1:1", state_dir=tmp_path, transcripts=tmp_path / "t")
    items = json.loads(index.path.read_text())["sessions"]
    assert len(items) == 4 * 60
    for name in names:
        for i in range(60):
            item = items[f"sess_{name}{i:03d}"]
            if i % 10 == 5:
                assert "deleted" in item, item
            elif i % 10 == 0:
                assert item["title"] == f"Title {name}{i}", item
            else:
                assert "used" in item and item.get("parent") == ("sess_root" if i % 2 else None)


PROMPTER = """
import sys
from pathlib import Path
from artgen_tui.core.prompt_history import PromptHistory
name, count, path = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
history = PromptHistory(path)  # loaded once, as an app does at start
for i in range(count):
    history.add(f"{name} prompt {i}")
"""


def test_prompt_histories_of_several_apps_keep_both_their_prompts(tmp_path: Path) -> None:
    from artgen_tui.core.prompt_history import PromptHistory

    path = tmp_path / "prompt_history.json"
    _run_all(PROMPTER, *([n, "40", str(path)] for n in "abc"))
    entries = PromptHistory(path).entries
    assert len(entries) == 3 * 40
    for name in "abc":
        assert [e for e in entries if e.startswith(name)] == [
            f"{name} prompt {i}" for i in range(40)
        ]


def test_an_add_brings_in_the_other_apps_prompts_and_stays_bounded(tmp_path: Path) -> None:
    from artgen_tui.core.prompt_history import PromptHistory

    path = tmp_path / "prompt_history.json"
    one, two = PromptHistory(path, limit=4), PromptHistory(path, limit=4)
    one.add("one a")
    two.add("two a")
    one.add("one b")
    assert one.entries == ["one a", "two a", "one b"]
    two.add("one b")  # the same as the last line on disk: kept once
    two.add("two b")
    two.add("two c")
    assert two.entries == ["two a", "one b", "two b", "two c"]
    assert PromptHistory(path, limit=10).entries == two.entries
    one.add("one c")
    assert one.entries == ["one b", "two b", "two c", "one c"]


FORGETTER = """
import sys, time
from pathlib import Path
from artgen_tui.config import load_settings
from artgen_tui.core.jobs import ExportJob, JobManager
from artgen_tui.core.workspace import Workspace

count = int(sys.argv[1])
manager = JobManager(Workspace(load_settings()), journal_path=Path(sys.argv[2]))
for i in range(count):
    job = ExportJob(id=f"refused-{i}", session_id="s", created_at=time.time())
    manager._save(job)
    manager._forget(job.id)
"""


ONE_SHOT_WRITER = """
import sys, time
from pathlib import Path
from artgen_tui.config import load_settings
from artgen_tui.core.jobs import ExportJob, JobManager
from artgen_tui.core.workspace import Workspace

name, count, journal = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
ws = Workspace(load_settings())
for i in range(count):  # a new process's manager each time: nothing in memory heals a loss
    job = ExportJob(id=f"{name}-{i}", session_id="s", status="downloaded", created_at=time.time())
    JobManager(ws, journal_path=journal)._save(job)
"""


def test_forgetting_a_refused_export_drops_no_other_processs_job(tmp_path: Path) -> None:
    journal = tmp_path / "jobs.json"
    procs = [
        subprocess.Popen([sys.executable, "-c", ONE_SHOT_WRITER, name, "60", str(journal)])
        for name in ("a", "b")
    ]
    procs += [
        subprocess.Popen([sys.executable, "-c", FORGETTER, "150", str(journal)]) for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    jobs = json.loads(journal.read_text())["jobs"]
    assert sorted(j["id"] for j in jobs) == sorted(f"{n}-{i}" for n in "ab" for i in range(60))


RENEWER = """
import sys
from pathlib import Path
from artgen_tui.core.credentials import CredentialStore
store = CredentialStore(Path(sys.argv[1]), "http://127.0.0.1:1")
print(store.renew_client_id(sys.argv[2]))
"""


def test_processes_refused_the_same_client_id_agree_on_one_new_one(tmp_path: Path) -> None:
    from artgen_tui.core.credentials import CredentialStore

    store = CredentialStore(tmp_path, "http://127.0.0.1:1")
    refused = store.client_id()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RENEWER, str(tmp_path), refused],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    got = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    stored = store.client_id()
    assert got == {stored} and stored != refused
    assert store.renew_client_id(refused) == stored  # refused again, elsewhere: already replaced
    assert store.renew_client_id(stored) != stored

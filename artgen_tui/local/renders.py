"""Render jobs: queued in the event loop, each rendered in its own worker process
(``python -m artgen_tui.local.render_worker``), so encoding never blocks the event loop.

At most ``render_workers`` run at once; the rest wait as ``pending``. A monitor task per job reads
the worker's progress file and keeps the stored job up to date, so polls show real percentages.
Cancelling a pending job is immediate; a running one is asked to stop (cancel file) and killed if
it has not stopped within a few seconds. Jobs left pending/processing by a previous run of the
backend are re-run at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import artgen_tui
from artgen_tui import paths
from artgen_tui.local.faults import Faults
from artgen_tui.local.store import Store

log = logging.getLogger("artgen.local.render")

ACTIVE = ("pending", "processing")
FINISHED = ("completed", "failed", "cancelled")
POLL_SECONDS = 0.1
PROGRESS_SAVE_SECONDS = 0.5
"""Progress is stored (a durable, fsynced job write on the event loop) at most this often."""
CANCEL_GRACE = 3.0
SUBMIT_PROGRESS = 5


def now_ms() -> int:
    return int(time.time() * 1000)


class RenderManager:
    def __init__(self, store: Store, *, workers: int, faults: Faults) -> None:
        self.store = store
        self.workers = max(1, workers)
        self.faults = faults
        self._sem: asyncio.Semaphore | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._procs: dict[str, asyncio.subprocess.Process] = {}

    def _files(self, render_id: str) -> dict[str, Path]:
        base = self.store.renders_dir
        return {
            "progress_file": base / f"{render_id}.progress",
            "cancel_file": base / f"{render_id}.cancel",
            "result_file": base / f"{render_id}.result.json",
            "spec_file": base / f"{render_id}.spec.json",
            "log_file": base / f"{render_id}.log",
            "owner_file": base / f"{render_id}.owner",  # last: removed last by _cleanup
        }

    async def start(self) -> None:
        """Re-run jobs an earlier run left unfinished (not those another live process runs)."""
        self._sem = asyncio.Semaphore(self.workers)
        for job in await self.store.renders():
            if job.get("status") in ACTIVE:
                owner = _read_int(self._files(job["id"])["owner_file"])
                if owner is not None and owner != os.getpid() and _alive(owner):
                    continue
                await self.store.update_render(
                    job["id"], status="pending", progress=SUBMIT_PROGRESS
                )
                self.schedule(job["id"])

    def schedule(self, render_id: str) -> None:
        files = self._files(render_id)
        for path in files.values():
            path.unlink(missing_ok=True)
        files["owner_file"].write_text(str(os.getpid()), "utf-8")
        task = asyncio.create_task(self._run(render_id), name=f"render-{render_id}")
        self._tasks[render_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(render_id, None))

    async def cancel(self, render_id: str) -> dict[str, Any] | None:
        job = await self.store.render(render_id)
        if job is None or job.get("status") in FINISHED:
            return job
        self._files(render_id)["cancel_file"].touch()
        return await self.store.update_render(
            render_id, status="cancelled", completed_at=now_ms(), error=None
        )

    async def stop(self) -> None:
        """Stop all workers (their jobs stay pending/processing and re-run next start)."""
        for render_id, proc in list(self._procs.items()):
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            self._procs.pop(render_id, None)
        tasks = dict(self._tasks)
        for task in tasks.values():
            task.cancel()
        for render_id, task in tasks.items():
            with contextlib.suppress(BaseException):
                await task
            self._files(render_id)["owner_file"].unlink(missing_ok=True)

    async def _run(self, render_id: str) -> None:
        assert self._sem is not None
        async with self._sem:
            job = await self.store.render(render_id)
            if job is None or job.get("status") != "pending":
                _cleanup(self._files(render_id))
                return
            if self.faults.take("fail_render"):
                await self.store.update_render(
                    render_id,
                    status="failed",
                    completed_at=now_ms(),
                    error="Render failed: the video encoder stopped unexpectedly "
                    "(fault injected by the local backend: fail_render).",
                )
                _cleanup(self._files(render_id))
                return
            await self.store.update_render(render_id, status="processing", progress=SUBMIT_PROGRESS)
            try:
                await self._work(job)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("render %s could not run", render_id)
                await self.store.update_render(
                    render_id,
                    status="failed",
                    completed_at=now_ms(),
                    error=f"Render failed: the worker could not run ({exc}).",
                )
                _cleanup(self._files(render_id))

    async def _work(self, job: dict[str, Any]) -> None:
        render_id = job["id"]
        files = self._files(render_id)
        spec = {
            "draft": job["draft"],
            "canvas": job.get("canvas"),
            "output": job.get("output"),
            "assets": job.get("assets") or {},
            "out": str(self.store.render_output(render_id)),
            **{key: str(path) for key, path in files.items()},
        }
        paths.atomic_write_json(files["spec_file"], spec)
        env = dict(os.environ)
        package_root = str(Path(artgen_tui.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        with open(files["log_file"], "wb") as log_fh:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "artgen_tui.local.render_worker",
                str(files["spec_file"]),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log_fh,
                env=env,
            )
        self._procs[render_id] = proc
        shown = SUBMIT_PROGRESS
        saved_at = float("-inf")
        cancel_at: float | None = None
        try:
            while proc.returncode is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), POLL_SECONDS)
                if time.monotonic() - saved_at < PROGRESS_SAVE_SECONDS:
                    pct = None
                else:
                    pct = _read_int(files["progress_file"])
                if pct is not None and min(99, max(SUBMIT_PROGRESS, pct)) > shown:
                    saved_at = time.monotonic()
                    shown = min(99, max(SUBMIT_PROGRESS, pct))
                    current = await self.store.render(render_id)
                    if current is not None and current.get("status") == "processing":
                        await self.store.update_render(render_id, progress=shown)
                if files["cancel_file"].exists() and proc.returncode is None:
                    cancel_at = cancel_at or time.monotonic()
                    if time.monotonic() - cancel_at > CANCEL_GRACE:
                        proc.kill()
        finally:
            self._procs.pop(render_id, None)
            if proc.returncode is None:
                proc.kill()
                with contextlib.suppress(Exception):
                    await proc.wait()
        await self._finish(render_id, proc.returncode, files)

    async def _finish(self, render_id: str, exit_code: int | None, files: dict[str, Path]) -> None:
        current = await self.store.render(render_id)
        if current is None or current.get("status") != "processing":
            _cleanup(files)  # cancelled meanwhile: keep that status
            return
        result: Any = None
        with contextlib.suppress(OSError, ValueError):
            result = json.loads(files["result_file"].read_text("utf-8"))
        output = self.store.render_output(render_id)
        if isinstance(result, dict) and result.get("ok") and output.exists():
            info = result.get("info")
            await self.store.update_render(
                render_id,
                status="completed",
                progress=100,
                completed_at=now_ms(),
                info=info if isinstance(info, dict) else {"detail": info},
                size=output.stat().st_size,
            )
        elif isinstance(result, dict) and result.get("cancelled"):
            await self.store.update_render(render_id, status="cancelled", completed_at=now_ms())
        else:
            if isinstance(result, dict) and result.get("error"):
                error = f"Render failed: {result['error']}"
            else:
                error = f"Render failed: the worker process exited with code {exit_code}."
                tail = _tail(files["log_file"])
                if tail:
                    error += f" {tail}"
            log.warning("render %s failed: %s", render_id, error)
            await self.store.update_render(
                render_id, status="failed", completed_at=now_ms(), error=error
            )
        _cleanup(files)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text("utf-8").strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cleanup(files: dict[str, Path]) -> None:
    for path in files.values():
        path.unlink(missing_ok=True)


def _tail(path: Path, limit: int = 300) -> str:
    """The last line of a worker's stderr (the exception), for the job's error string."""
    try:
        lines = path.read_text("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][-limit:] if lines else ""

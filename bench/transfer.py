"""Upload/download throughput of NemoClient against curl, on the same local backend.

    python bench/transfer.py [--runs 5] [--mib 200]

Makes a WAV file of ``--mib`` MiB (a real audio file, so the backend's probe accepts it), starts
``artgen serve-local`` in its own process, then per run uploads it and downloads it back through
NemoClient (each in a fresh subprocess, so its peak RSS is the client's own) and with curl
(``-F files=@…`` with ``-H "Expect:"``; plain GET of the file URL). Prints medians, the ratios
client/curl (targets: upload >= 0.6, download >= 0.8) and the client's peak RSS (target < 80 MB).
The client's download fsyncs before its atomic rename; "curl+fsync" adds the same fsync to curl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

MiB = 1024 * 1024
UPLOAD_TARGET, DOWNLOAD_TARGET, RSS_TARGET_MB = 0.6, 0.8, 80.0


def make_wav(path: Path, total_bytes: int) -> None:
    """A valid 16-bit stereo 48 kHz WAV of exactly ``total_bytes`` bytes filled with noise."""
    data_len = total_bytes - 44
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + data_len)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 2, 48000, 48000 * 4, 4, 16)
        + b"data"
        + struct.pack("<I", data_len)
    )
    block = os.urandom(4 * MiB)
    with path.open("wb") as fh:
        fh.write(header)
        left = data_len
        while left:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ client side (own process)


async def _client_run(mode: str, url: str, arg1: str, arg2: str) -> dict[str, Any]:
    from artgen_tui.api.client import ClientOptions, NemoClient
    from artgen_tui.core.credentials import CredentialStore

    token = os.environ["NEMO_TOKEN"]
    options = ClientOptions(api_url=url, request_timeout=120)
    async with NemoClient(options, CredentialStore.default(url), static_token=token) as client:
        start = time.perf_counter()
        if mode == "upload":
            result = await client.upload_files(arg1, [Path(arg2)])
            secs = time.perf_counter() - start
            return {"secs": secs, "cdn_url": result.files[0].cdn_url}
        received = [0.0]

        def progress(done: int, total: int | None) -> None:
            if total is not None and done >= total and not received[0]:
                received[0] = time.perf_counter() - start

        dest = await client.download_url(arg1, Path(arg2), progress=progress)
        secs = time.perf_counter() - start
        return {"secs": secs, "received_secs": received[0] or secs, "bytes": dest.stat().st_size}


def client_main(argv: list[str]) -> None:
    mode, url, arg1, arg2 = argv
    out = asyncio.run(_client_run(mode, url, arg1, arg2))
    out["rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


# ------------------------------------------------------------------ orchestration


def run_client(env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--client", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"client run failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_curl(*args: str) -> float:
    proc = subprocess.run(
        ["curl", "-s", "-S", "--fail", "-w", "%{time_total}", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"curl failed: {proc.stderr.strip()}")
    return float(proc.stdout.strip().splitlines()[-1])


def fsync_path(path: Path) -> float:
    start = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - start


def start_backend(data_dir: Path, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "artgen_tui", "serve-local", "--port", str(port)]
    cmd += ["--data-dir", str(data_dir)]
    log = (data_dir.parent / "backend.log").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.close()
            err = (data_dir.parent / "backend.log").read_text(errors="replace")
            raise SystemExit(f"backend exited: {err[-2000:]}")
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("backend did not start")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        client_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--mib", type=int, default=200)
    args = parser.parse_args()
    if not shutil.which("curl"):
        raise SystemExit("curl is needed for the comparison; install it first.")
    size = args.mib * MiB

    with tempfile.TemporaryDirectory(prefix="artgen-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "ARTGEN_HOME": str(tmp / "home")}
        env.pop("NEMO_TOKEN", None)
        source = tmp / "bench.wav"
        make_wav(source, size)
        port = free_port()
        backend = start_backend(tmp / "backend", port, env)
        url = f"http://127.0.0.1:{port}"
        try:
            results = bench(url, source, size, tmp, env, args.runs)
        finally:
            backend.terminate()
            backend.wait(timeout=15)
    report(results, size, args.runs)


def bench(
    url: str, source: Path, size: int, tmp: Path, env: dict[str, str], runs: int
) -> dict[str, list[float]]:
    with httpx.Client(base_url=url, timeout=30) as http:
        token = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "bench"}).json()
        token_value = token["data"]["token"]
        auth = {"Authorization": f"Bearer {token_value}"}
        session = http.post(
            "/api/tasks/me/with-session/nemo_agent", json={"task_name": "bench"}, headers=auth
        ).json()["data"]["session_id"]
    env = {**env, "NEMO_TOKEN": token_value}
    header_file = tmp / "curl-headers"
    header_file.touch(mode=0o600)
    header_file.write_text(f"Authorization: Bearer {token_value}\nExpect:\n")
    upload_url = f"{url}/api/upload-video/nemo_agent/me/{session}"
    out: dict[str, list[float]] = {
        k: []
        for k in ("up", "up_curl", "down", "down_received", "down_curl", "down_curl_fsync", "rss")
    }
    file_url = ""
    for i in range(runs):
        for who in ("client", "curl") if i % 2 == 0 else ("curl", "client"):
            if who == "client":
                r = run_client(env, "upload", url, session, str(source))
                out["up"].append(r["secs"])
                out["rss"].append(r["rss_mb"])
                file_url = file_url or r["cdn_url"]
            else:
                answer = tmp / "curl-upload.json"
                secs = run_curl(
                    "-H", f"@{header_file}", "-F", f"files=@{source}", "-o", str(answer), upload_url
                )
                body = json.loads(answer.read_text())
                if body.get("code") != 0:
                    raise SystemExit(f"curl upload refused: {body}")
                out["up_curl"].append(secs)
        # The first read of a file just uploaded is slow (2-4x) whoever makes it: an untimed
        # one first, so that the client and curl are timed alike.
        warm = tmp / "down-warm.wav"
        run_curl("-o", str(warm), file_url)
        warm.unlink()
        for who in ("client", "curl") if i % 2 == 0 else ("curl", "client"):
            dest = tmp / f"down-{who}.wav"
            # Both start with nothing left to write back (the upload's 200 MiB, the last
            # download): otherwise whoever goes first pays for it, and it took 2-4x as long.
            os.sync()
            if who == "client":
                r = run_client(env, "download", url, file_url, str(dest))
                out["down"].append(r["secs"])
                out["down_received"].append(r["received_secs"])
                out["rss"].append(r["rss_mb"])
            else:
                secs = run_curl("-o", str(dest), file_url)
                out["down_curl"].append(secs)
                out["down_curl_fsync"].append(secs + fsync_path(dest))
            if dest.stat().st_size != size:
                raise SystemExit(f"{who} download has {dest.stat().st_size} bytes, not {size}")
            dest.unlink()
        print(
            f"run {i + 1}/{runs}: upload client {out['up'][-1]:.2f} s, curl {out['up_curl'][-1]:.2f} s;"
            f" download client {out['down'][-1]:.2f} s, curl {out['down_curl'][-1]:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    return out


def report(r: dict[str, list[float]], size: int, runs: int) -> None:
    mib = size / MiB

    def rate(key: str) -> float:
        return mib / statistics.median(r[key])

    up, up_curl = rate("up"), rate("up_curl")
    down, down_curl, down_fsync = rate("down"), rate("down_curl"), rate("down_curl_fsync")
    rss = max(r["rss"])
    print(f"transfer of {mib:.0f} MiB, median of {runs} runs (MiB/s)")
    print(
        f"  upload    client {up:8.1f}   curl {up_curl:8.1f}   ratio {up / up_curl:.2f}"
        f"  (target >= {UPLOAD_TARGET})"
    )
    print(
        f"  download  client {down:8.1f}   curl {down_curl:8.1f}   ratio {down / down_curl:.2f}"
        f"  (target >= {DOWNLOAD_TARGET})"
    )
    print(f"            curl+fsync {down_fsync:8.1f}   ratio {down / down_fsync:.2f}")
    received = rate("down_received")
    print(
        f"            client, all bytes in (before fsync+rename) {received:8.1f}"
        f"   ratio {received / down_curl:.2f}"
    )
    print(f"  client peak RSS {rss:.1f} MB (target < {RSS_TARGET_MB:.0f} MB)")


if __name__ == "__main__":
    main()

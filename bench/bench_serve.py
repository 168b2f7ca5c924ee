"""Load benchmark of `gitstore serve` on a large configuration repository.

Builds a ~10,000-file repository (bench/generate.py), starts the installed
``gitstore serve`` on 127.0.0.1, and drives it with ``--clients`` concurrent
clients (threads with keep-alive connections) for ``--seconds`` of mixed
requests: reads of stacks (``GET /stacks/{name}``), components and users, and
writes (``POST /users``, ``POST /projects``). Reports throughput, p50/p99
latency per kind of request, errors, the server's memory (VmHWM, VmRSS), then
checks that every acknowledged write is in the history exactly once and that
``git fsck --strict`` is clean.

Usage: ``python bench/bench_serve.py [--files 10000] [--clients 8] [--seconds 60]
[--write-share 0.2] [--repo DIR] [--json OUT]``. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

TARGETS = {"GET /stacks/{name}": 2.0, "writes": 25.0}  # p50 targets in ms


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    server: dict[str, list[float]] = field(default_factory=dict)  # Server-Timing, arrival to answer
    errors: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, ms: float, server_ms: float | None) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)
            if server_ms is not None:
                self.server.setdefault(kind, []).append(server_ms)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def names_in(root: Path, folder: str) -> list[str]:
    return sorted(p.stem for p in (root / folder).glob("*.yaml"))


def components_in(root: Path) -> list[tuple[str, str]]:
    return sorted((p.parent.name, p.stem) for p in (root / "components").glob("*/*.yaml"))


def start_server(repo: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    gitstore = shutil.which("gitstore", path=str(Path(sys.executable).parent)) or "gitstore"
    with open(log, "wb") as out:
        proc = subprocess.Popen([gitstore, "serve", str(repo), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gitstore serve did not start: " + log.read_text(errors="replace"))


def client(port: int, user: str, stop: float, seed: int, write_share: float,
           stacks: list[str], components: list[tuple[str, str]], users: list[str],
           tally: Tally) -> None:
    rng = random.Random(seed)
    auth = "Basic " + base64.b64encode(f"{user}:".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    counter = 0
    while time.monotonic() < stop:
        body = None
        if rng.random() < write_share:
            counter += 1
            name = f"bench-{seed}-{counter}"
            if counter % 2:
                kind, method, path, body = "POST /users", "POST", "/users", {"name": name}
            else:
                kind, method, path, body = "POST /projects", "POST", "/projects", {"name": name}
        else:
            pick = rng.random()
            if pick < 0.6:
                kind, method, path = "GET /stacks/{name}", "GET", f"/stacks/{rng.choice(stacks)}"
            elif pick < 0.85:
                type_, comp = rng.choice(components)
                kind, method, path = "GET /components/{type}/{name}", "GET", \
                    f"/components/{type_}/{comp}"
            else:
                kind, method, path = "GET /users/{name}", "GET", f"/users/{rng.choice(users)}"
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": auth}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        start = time.perf_counter()
        try:
            conn.request(method, path, body=payload, headers=headers)
            answer = conn.getresponse()
            text = answer.read()
            status = answer.status
            timing = answer.getheader("Server-Timing") or ""
            server_ms = float(timing.partition("dur=")[2]) if "dur=" in timing else None
        except (OSError, http.client.HTTPException) as exc:
            status, text, server_ms = -1, str(exc).encode(), None
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        ms = (time.perf_counter() - start) * 1000
        tally.add(kind, ms, server_ms)
        if status != 200:
            with tally.lock:
                tally.errors.append(f"{method} {path}: {status} {text[:200]!r}")
        elif body is not None:
            with tally.lock:
                tally.acknowledged.append(f"{path.strip('/')}:{body['name']}")


def memory_kib(pid: int) -> dict[str, int]:
    found: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


def check_history(repo: Path, acknowledged: list[str]) -> dict[str, Any]:
    log = subprocess.run(["git", "log", "--format=%s"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    counts: dict[str, int] = {}
    for subject in log:
        counts[subject] = counts.get(subject, 0) + 1
    missing = []
    for item in acknowledged:
        folder, name = item.split(":", 1)
        kind = "user" if folder == "users" else "project"
        if counts.get(f"gitstore: create {kind} {name}") != 1:
            missing.append(item)
    fsck = subprocess.run(["git", "fsck", "--strict"], cwd=repo, capture_output=True, text=True)
    return {"acknowledged_writes": len(acknowledged), "missing_from_history": missing,
            "fsck_ok": fsck.returncode == 0, "fsck_output": fsck.stderr.strip()[-500:]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize(tally: Tally, seconds: float) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    writes: list[float] = []
    total = 0
    for kind, values in sorted(tally.latencies.items()):
        total += len(values)
        if kind.startswith("POST"):
            writes.extend(values)
        inside = tally.server.get(kind) or [0.0]
        kinds[kind] = {"count": len(values), "p50_ms": round(statistics.median(values), 2),
                       "p99_ms": round(percentile(values, 0.99), 2),
                       "server_p50_ms": round(statistics.median(inside), 2),
                       "server_p99_ms": round(percentile(inside, 0.99), 2)}
    if writes:
        inside = [v for k, vs in tally.server.items() if k.startswith("POST") for v in vs] or [0.0]
        kinds["writes"] = {"count": len(writes), "p50_ms": round(statistics.median(writes), 2),
                           "p99_ms": round(percentile(writes, 0.99), 2),
                           "server_p50_ms": round(statistics.median(inside), 2),
                           "server_p99_ms": round(percentile(inside, 0.99), 2)}
    return {"requests": total, "throughput_rps": round(total / seconds, 1), "kinds": kinds,
            "errors": len(tally.errors), "first_errors": tally.errors[:5]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument("--repo", type=Path, help="use (and keep) this repository")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    repo = args.repo or work / "repo"
    if not (repo / "gitstore.yaml").exists():
        from bench.generate import generate

        generate(repo, files=args.files)
    stacks, users = names_in(repo, "stacks"), names_in(repo, "users")
    components = components_in(repo)
    files = int(subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.count("\n"))
    port = free_port()
    proc = start_server(repo, port, work / "serve.log")
    try:
        tally = Tally()
        client(port, users[0], time.monotonic() + 2, 0, 0.0, stacks, components, users, Tally())
        stop = time.monotonic() + args.seconds
        threads = [threading.Thread(target=client, args=(
            port, users[i % len(users)], stop, i + 1, args.write_share, stacks, components, users,
            tally)) for i in range(args.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        memory = memory_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    result = {"files": files, "clients": args.clients, "seconds": round(elapsed, 1),
              **summarize(tally, elapsed), "server_memory_kib": memory,
              **check_history(repo, tally.acknowledged)}
    for kind, target in TARGETS.items():
        got = result["kinds"].get(kind, {}).get("p50_ms")
        result.setdefault("targets", {})[kind] = {"p50_target_ms": target, "p50_ms": got,
                                                  "met": got is not None and got <= target}
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    if not args.repo:
        shutil.rmtree(work, ignore_errors=True)
    ok = not result["errors"] and not result["missing_from_history"] and result["fsck_ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

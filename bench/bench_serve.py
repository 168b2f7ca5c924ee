"""Load benchmark of `gitstore serve` on a large configuration repository.

Builds a ~10,000-file repository (bench/generate.py), starts the installed
``gitstore serve`` on 127.0.0.1, and drives it with ``--clients`` concurrent
clients (threads with keep-alive connections) for ``--seconds`` of mixed
requests: reads of stacks (``GET /stacks/{name}``), components and users, and
writes (``POST /users``, ``POST /projects``). Reports throughput, p50/p99
latency per kind of request, errors, the server's memory (VmHWM, VmRSS), then
checks that every acknowledged write is in the history exactly once and that
``git fsck --strict`` is clean, and counts how often the branch moved for
those writes (``branch_moves``: writes that waited together land at once).

Two modes:

- ``closed`` (the default): each client sends its next request as soon as the
  last is answered (no think time). On a machine whose cores the clients share
  with the server this measures the server at saturation: the throughput is
  its capacity, and by Little's law the latencies are mostly the queue
  (clients / throughput), whatever one request costs.
- ``paced`` (open loop): each client sends on a fixed schedule, ``--rate``
  requests/s in all, and a request's latency runs from its *scheduled* send
  time, so a slow answer that delays the next sends is counted against them
  too (no coordinated omission). This measures latency at a stated load.

``--gil-probe`` measures, in one process and without HTTP, how late the event loop
runs beside a thread writing to the store as fast as it can, for several
``sys.setswitchinterval`` values (the server answers reads on the event loop).

``--sweep 0.25,0.5,0.75`` runs the closed mode first, then the paced mode at
those fractions of the throughput it measured, one fresh server each.

Usage: ``python bench/bench_serve.py [--files 10000] [--clients 8] [--seconds 60]
[--write-share 0.2] [--mode closed|paced] [--rate R] [--sweep F,F,...]
[--repo DIR] [--json OUT]``. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
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
    late: list[float] = field(default_factory=list)  # paced: how late the client itself sent
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


@dataclass(frozen=True)
class Workload:
    port: int
    write_share: float
    stacks: list[str]
    components: list[tuple[str, str]]
    users: list[str]
    tag: str  # makes the names this run creates its own


def pick(rng: random.Random, work: Workload, seed: int, counter: int
         ) -> tuple[str, str, str, dict[str, str] | None]:
    """The next request: (kind, method, path, body)."""
    if rng.random() < work.write_share:
        name = f"bench-{work.tag}-{seed}-{counter}"
        if counter % 2:
            return "POST /users", "POST", "/users", {"name": name}
        return "POST /projects", "POST", "/projects", {"name": name}
    choice = rng.random()
    if choice < 0.6:
        return "GET /stacks/{name}", "GET", f"/stacks/{rng.choice(work.stacks)}", None
    if choice < 0.85:
        type_, comp = rng.choice(work.components)
        return "GET /components/{type}/{name}", "GET", f"/components/{type_}/{comp}", None
    return "GET /users/{name}", "GET", f"/users/{rng.choice(work.users)}", None


def client(work: Workload, user: str, stop: float, seed: int, tally: Tally,
           interval: float | None = None, start: float | None = None) -> None:
    """Send requests until ``stop``: back to back, or one every ``interval`` seconds from
    ``start`` (latency then counts from the scheduled time, not the actual send)."""
    rng = random.Random(seed)
    auth = "Basic " + base64.b64encode(f"{user}:".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", work.port, timeout=120)
    counter = 0
    due = start if start is not None else time.perf_counter()
    deadline = stop - time.monotonic() + time.perf_counter()
    while True:
        if interval is not None:
            if due >= deadline:
                break
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        elif time.perf_counter() >= deadline:
            break
        kind, method, path, body = pick(rng, work, seed, counter + 1)
        if body is not None:
            counter += 1
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": auth}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        sent = time.perf_counter()
        begin = due if interval is not None else sent
        if interval is not None:
            with tally.lock:
                tally.late.append((sent - due) * 1000)
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
            conn = http.client.HTTPConnection("127.0.0.1", work.port, timeout=120)
        ms = (time.perf_counter() - begin) * 1000
        tally.add(kind, ms, server_ms)
        if status != 200:
            with tally.lock:
                tally.errors.append(f"{method} {path}: {status} {text[:200]!r}")
        elif body is not None:
            with tally.lock:
                tally.acknowledged.append(f"{path.strip('/')}:{body['name']}")
        if interval is not None:
            due += interval


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
    # how often the branch moved for the run's writes (writes that waited together land at once)
    moves = subprocess.run(["git", "reflog", "--format=%gs"], cwd=repo, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    names = {item.split(":", 1)[1] for item in acknowledged}
    landed = sum(1 for m in moves if m.startswith("gitstore: create ")
                 and len(m.split()) > 3 and m.split()[3] in names)
    return {"acknowledged_writes": len(acknowledged), "missing_from_history": missing,
            "branch_moves": landed, "fsck_ok": fsck.returncode == 0,
            "fsck_output": fsck.stderr.strip()[-500:]}


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
    out = {"requests": total, "throughput_rps": round(total / seconds, 1), "kinds": kinds,
           "errors": len(tally.errors), "first_errors": tally.errors[:5]}
    if tally.late:  # the load generator's own delay, part of every paced latency
        out["client_send_late_ms"] = {"p50": round(statistics.median(tally.late), 2),
                                      "p99": round(percentile(tally.late, 0.99), 2)}
    return out


def run_once(repo: Path, work_dir: Path, args: argparse.Namespace, mode: str,
             rate: float | None, tag: str) -> dict[str, Any]:
    """One server, one load: the results (latencies, errors, memory, history checks).

    Works on a fresh copy of ``repo``, so every run starts from the same repository
    (the writes of a run would otherwise grow it for the next).
    """
    repo = copy_repo(repo, work_dir / f"run-{tag}")
    try:
        return _run_on(repo, work_dir, args, mode, rate, tag)
    finally:
        shutil.rmtree(repo, ignore_errors=True)


def copy_repo(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def _run_on(repo: Path, work_dir: Path, args: argparse.Namespace, mode: str,
            rate: float | None, tag: str) -> dict[str, Any]:
    stacks, users = names_in(repo, "stacks"), names_in(repo, "users")
    port = free_port()
    work = Workload(port, args.write_share, stacks, components_in(repo), users, tag)
    proc = start_server(repo, port, work_dir / f"serve-{tag}.log")
    load_before = os.getloadavg()
    try:
        # warm-up, not measured: the first write after a start builds the integrity index
        warm = Workload(port, args.write_share, stacks, work.components, users, tag + "w")
        client(warm, users[0], time.monotonic() + 3, 0, Tally())
        tally = Tally()
        stop = time.monotonic() + args.seconds
        interval = args.clients / rate if rate else None
        first = time.perf_counter() + 0.05
        threads = [threading.Thread(target=client, args=(
            work, users[i % len(users)], stop, i + 1, tally, interval,
            first + (interval or 0) * i / args.clients)) for i in range(args.clients)]
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
    result: dict[str, Any] = {
        "mode": mode, "offered_rps": round(rate, 1) if rate else None,
        "clients": args.clients, "seconds": round(elapsed, 1),
        "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        **summarize(tally, elapsed), "server_memory_kib": memory,
        **check_history(repo, tally.acknowledged)}
    for kind, target in TARGETS.items():
        got = result["kinds"].get(kind, {}).get("p50_ms")
        result.setdefault("targets", {})[kind] = {"p50_target_ms": target, "p50_ms": got,
                                                  "met": got is not None and got <= target}
    return result


def _write_until(store: Any, stop: threading.Event, written: list[int], label: str) -> None:
    while not stop.is_set():
        written[0] += 1
        store.create_user(f"{label}-{written[0]}")


def gil_probe(repo: Path, seconds: float, intervals: list[float]) -> dict[str, Any]:
    """Event-loop lag (a 2 ms timer's lateness) beside a store writer, per switch interval."""
    import asyncio

    from gitstore.store import GitZenStore

    store = GitZenStore().initialize(str(repo), skip_default_registrations=True)
    tag = f"gil{int(time.time()) % 100000}"
    store.create_user(f"{tag}-warm")  # the first write builds the integrity index

    async def lags(until: float) -> list[float]:
        found = []
        while time.perf_counter() < until:
            due = time.perf_counter() + 0.002
            await asyncio.sleep(0.002)
            found.append((time.perf_counter() - due) * 1000)
        return sorted(found)

    def stats(values: list[float]) -> dict[str, float]:
        return {"p50_ms": round(statistics.median(values), 2),
                "p90_ms": round(percentile(values, 0.9), 2),
                "p99_ms": round(percentile(values, 0.99), 2)}

    default = sys.getswitchinterval()
    out: dict[str, Any] = {"no_writer": stats(asyncio.run(lags(time.perf_counter() + seconds)))}
    for interval in intervals:
        sys.setswitchinterval(interval)
        stop, written = threading.Event(), [0]

        thread = threading.Thread(target=_write_until, args=(store, stop, written,
                                                             f"{tag}-{len(out)}"))
        thread.start()
        found = asyncio.run(lags(time.perf_counter() + seconds))
        stop.set()
        thread.join()
        out[f"{interval * 1000:g} ms"] = {**stats(found),
                                          "writes_per_s": round(written[0] / seconds, 1)}
    sys.setswitchinterval(default)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--write-share", type=float, default=0.2)
    parser.add_argument("--mode", choices=("closed", "paced"), default="closed")
    parser.add_argument("--rate", type=float, help="paced: requests/s offered by all clients")
    parser.add_argument("--sweep", help="closed, then paced at these fractions of its "
                        "throughput (comma-separated, e.g. 0.25,0.5,0.75)")
    parser.add_argument("--gil-probe", action="store_true",
                        help="measure the event loop's lag beside a writer, then stop")
    parser.add_argument("--repo", type=Path, help="use this repository (each run works on a "
                        "copy of it)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if args.mode == "paced" and not args.rate and not args.sweep:
        parser.error("--mode paced needs --rate")

    work_dir = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    repo = args.repo or work_dir / "repo"
    from bench.generate import generate, settled

    if not (repo / "gitstore.yaml").exists():
        generate(repo, files=args.files)
    # each run copies this repository: pack it now, and let no detached `git gc --auto`
    # move its objects while a copy is being made
    settled(repo)
    files = int(subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True,
                               check=True).stdout.count("\n"))
    if args.gil_probe:
        probed = copy_repo(repo, work_dir / "gil-probe")
        rounds = [gil_probe(probed, args.seconds, [0.005, 0.001, 0.0005, 0.0002])
                  for _ in range(2)]
        shutil.rmtree(probed, ignore_errors=True)
        print(json.dumps({"files": files, "load_average_1m": os.getloadavg()[0],
                          "rounds": rounds}, indent=2))
        return 0
    tag = f"{int(time.time()) % 100000}"
    runs: list[dict[str, Any]] = []
    if args.sweep:
        closed = run_once(repo, work_dir, args, "closed", None, f"{tag}c")
        runs.append(closed)
        for n, fraction in enumerate(float(f) for f in args.sweep.split(",")):
            rate = closed["throughput_rps"] * fraction
            runs.append({"fraction_of_saturation": fraction,
                         **run_once(repo, work_dir, args, "paced", rate, f"{tag}p{n}")})
    else:
        rate = args.rate if args.mode == "paced" else None
        runs.append(run_once(repo, work_dir, args, args.mode, rate, tag))
    result: dict[str, Any] = {"files": files, "runs": runs} if len(runs) > 1 \
        else {"files": files, **runs[0]}
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    if not args.repo:
        shutil.rmtree(work_dir, ignore_errors=True)
    ok = all(not r["errors"] and not r["missing_from_history"] and r["fsck_ok"] for r in runs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

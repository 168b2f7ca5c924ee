"""Benchmark of ``gitstore lsp``: workspace open, diagnostics after a one-character edit, memory.

For each size it generates a repository (``bench/generate.py``, seeded), starts
the installed ``gitstore lsp`` over stdio (a small JSON-RPC client here, no
editor) and measures

* open: from starting the process to the answer of the first request after
  ``initialized`` (start-up, imports, reading and checking every file), with
  the validation cache cold (first open of the repository) and warm;
* edit: from sending a one-character ``didChange`` of an open stack to the
  arrival of that file's ``publishDiagnostics``; the edits alternately break
  and repair a component name, so each one changes the diagnostics; and the
  same for a one-character deletion of a component's file from the model
  (an unsaved buffer closed), which marks the stacks using it;
* memory: the server's peak resident set (``VmHWM``) at the end.

    python bench/bench_lsp.py --files 10000 50000 --edits 60 --repeat 3 [--update BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.append(str(PROJECT))  # after site-packages: the installed gitstore wins

from bench.bench_validate import machine_facts, update_section  # noqa: E402
from bench.generate import generate  # noqa: E402

BIN = Path(sys.executable).parent
GITSTORE = str(BIN / "gitstore") if (BIN / "gitstore").exists() else "gitstore"


class Client:
    """Just enough of an LSP client: requests, notifications, and a queue of what arrives."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen([GITSTORE, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=root)
        self.inbox: Queue[dict[str, Any]] = Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        while True:
            message = self.inbox.get(timeout=600)
            if message.get("id") == ident and "method" not in message:
                return message.get("result")
            if "id" in message and "method" in message:  # a request from the server
                self.send({"id": message["id"], "result": None})

    def wait_diagnostics(self, uri: str) -> list[Any]:
        while True:
            message = self.inbox.get(timeout=600)
            if message.get("method") == "textDocument/publishDiagnostics" and \
                    message["params"]["uri"] == uri:
                diagnostics: list[Any] = message["params"]["diagnostics"]
                return diagnostics
            if "id" in message and "method" in message:
                self.send({"id": message["id"], "result": None})

    def drain(self) -> None:
        try:
            while True:
                self.inbox.get(timeout=0.2)
        except Empty:
            return

    def peak_rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=60)


@dataclass
class Run:
    open_s: float
    startup_s: float
    open_cpu_s: float
    edits_ms: list[float] = field(default_factory=list)
    edit_cpu_ms: float = 0.0  # the server's CPU time per edit, on average (robust to a busy machine)
    deletes_ms: list[float] = field(default_factory=list)
    rss_mib: float = 0.0


def open_workspace(root: Path) -> tuple[Client, float, float]:
    """A started server, the seconds to its ready workspace, and of those its start-up (process,
    imports, the answer to ``initialize``)."""
    start = time.perf_counter()
    client = Client(root)
    client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                  "capabilities": {}})
    started = time.perf_counter() - start
    client.notify("initialized", {})
    client.request("textDocument/hover", {"textDocument": {"uri": (root / "gitstore.yaml").as_uri()},
                                          "position": {"line": 0, "character": 0}})
    return client, time.perf_counter() - start, started


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def block_stacks(root: Path) -> list[tuple[Path, int]]:
    """Stacks written in block style, with the line naming their orchestrator."""
    found = []
    for stack in sorted((root / "stacks").glob("*.yaml")):
        for number, line in enumerate(stack.read_text().split("\n")):
            if re.fullmatch(r"\s+orchestrator:\s*[A-Za-z0-9._-]+\s*", line):
                found.append((stack, number))
                break
    return found


def measure_edits(client: Client, root: Path, edits: int) -> list[float]:
    stack, line = block_stacks(root)[0]
    text = stack.read_text()
    uri = stack.as_uri()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml",
                                                            "version": 1, "text": text}})
    client.drain()
    lines = text.split("\n")
    column = len(lines[line].rstrip())
    timings = []
    for version in range(2, edits + 2):
        broken = version % 2 == 0
        change = ({"range": {"start": {"line": line, "character": column},
                             "end": {"line": line, "character": column}}, "text": "x"} if broken else
                  {"range": {"start": {"line": line, "character": column},
                             "end": {"line": line, "character": column + 1}}, "text": ""})
        start = time.perf_counter()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [change]})
        diagnostics = client.wait_diagnostics(uri)
        timings.append((time.perf_counter() - start) * 1000)
        assert bool(diagnostics) == broken, diagnostics
    return timings


def measure_deletes(client: Client, root: Path, times: int) -> list[float]:
    """Open a component's file as an unsaved new buffer, then close it: the stacks using it are
    marked again (one file's presence changes, every referrer is rechecked)."""
    stack, line = block_stacks(root)[1]
    stack_text = stack.read_text()
    new_name = "bench-new-component"
    uri_stack = stack.as_uri()
    lines = stack_text.split("\n")
    start_col = lines[line].index(":") + 1
    patched = lines[:line] + [lines[line][:start_col] + f" {new_name}"] + lines[line + 1:]
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri_stack, "languageId": "yaml",
                                                            "version": 1, "text": "\n".join(patched)}})
    client.wait_diagnostics(uri_stack)
    comp_uri = (root / "components" / "orchestrator" / f"{new_name}.yaml").as_uri()
    timings = []
    for version in range(times):
        start = time.perf_counter()
        if version % 2 == 0:
            client.notify("textDocument/didOpen", {"textDocument": {
                "uri": comp_uri, "languageId": "yaml", "version": 1, "text": "flavor: local\n"}})
        else:
            client.notify("textDocument/didClose", {"textDocument": {"uri": comp_uri}})
        client.wait_diagnostics(uri_stack)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def bench_size(files: int, repeat: int, edits: int, workdir: Path) -> list[Run]:
    root = workdir / f"lsp-{files}"
    if not (root / "gitstore.yaml").exists():
        if root.exists():
            shutil.rmtree(root)
        generate(root, files=files, seed=0)
    runs = []
    for index in range(repeat):
        cache = root / ".git" / "gitstore"
        if index == 0 and cache.exists():
            shutil.rmtree(cache)  # the first open of a repository: no validation cache yet
        client, open_s, startup_s = open_workspace(root)
        run = Run(open_s, startup_s, open_cpu_s=cpu_seconds(client.proc.pid))
        client.drain()
        cpu_before = cpu_seconds(client.proc.pid)
        run.edits_ms = measure_edits(client, root, edits)
        run.edit_cpu_ms = (cpu_seconds(client.proc.pid) - cpu_before) * 1000 / edits
        run.deletes_ms = measure_deletes(client, root, max(10, edits // 3))
        run.rss_mib = client.peak_rss_mib()
        client.close()
        runs.append(run)
        print(f"{files} run {index}: open {open_s:.2f} s (start-up {startup_s:.2f} s, CPU "
              f"{run.open_cpu_s:.2f} s), edit median "
              f"{statistics.median(run.edits_ms):.1f} ms, presence change median "
              f"{statistics.median(run.deletes_ms):.1f} ms, peak RSS {run.rss_mib:.0f} MiB", flush=True)
    return runs


def render(sizes: dict[int, list[Run]], facts: list[str], repeat: int, edits: int) -> str:
    out = [f"Produced by `python bench/bench_lsp.py --files {' '.join(map(str, sizes))} "
           f"--edits {edits} --repeat {repeat} --update BENCHMARKS.md`: the installed `gitstore lsp` "
           "over stdio, driven by a small JSON-RPC client. Open: start of the process to the answer "
           "of the first request after `initialized` (the first run with no validation cache, the "
           "others with it). Edit: a one-character `didChange` of an open stack to that file's "
           "`publishDiagnostics` (alternately breaking and repairing a component name; edit CPU is "
           "the server's CPU time per edit, on average, which a busy machine does not inflate). Presence "
           "change: an unsaved component buffer opened or closed to the `publishDiagnostics` of the "
           "stack naming it. The machine is shared with other work: wall times are noisy.",
           "", *facts, "",
           "| files | run | open s | of which start-up s | open CPU s | edit median ms | edit best ms "
           "| edit p90 ms | edit CPU ms | presence change median ms | peak RSS MiB |",
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for files, runs in sizes.items():
        for index, run in enumerate(runs):
            edits_sorted = sorted(run.edits_ms)
            p90 = edits_sorted[int(len(edits_sorted) * 0.9) - 1]
            label = "cold cache" if index == 0 else "warm cache"
            out.append(f"| {files:,} | {label} | {run.open_s:.2f} | {run.startup_s:.2f} "
                       f"| {run.open_cpu_s:.2f} | {statistics.median(run.edits_ms):.1f} "
                       f"| {edits_sorted[0]:.1f} | {p90:.1f} | {run.edit_cpu_ms:.1f} "
                       f"| {statistics.median(run.deletes_ms):.1f} "
                       f"| {run.rss_mib:.0f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--edits", type=int, default=60)
    parser.add_argument("--workdir", type=Path, default=HERE / "out")
    parser.add_argument("--update", type=Path, help="write the results into this BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    facts = machine_facts()
    sizes = {files: bench_size(files, args.repeat, args.edits, args.workdir) for files in args.files}
    body = render(sizes, facts, args.repeat, args.edits)
    print(body)
    if args.update:
        update_section(args.update, "lsp", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

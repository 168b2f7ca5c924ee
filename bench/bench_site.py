"""Benchmark of ``gitstore site``: build time, output size, and how fast the site opens and searches.

For each size it generates a repository (``bench/generate.py``, seeded),
records ``--runs`` pipeline runs on it, and measures the installed command,
best and median of ``--repeat`` runs, building ``--rev HEAD`` into a new
folder (no cache), again with the cache warm, and rebuilding into the folder
of the previous build. Then, in Chromium (Playwright, the system's browser),
the time to open the overview and the largest page, and the time from typing
a query to seeing results (the first search loads the index).

    python bench/bench_site.py --files 10000 --repeat 3 [--runs 200]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))  # after site-packages: the installed gitstore wins

from bench.generate import generate  # noqa: E402

BIN = Path(sys.executable).parent
GITSTORE = str(BIN / "gitstore") if (BIN / "gitstore").exists() else "gitstore"


def measured(args: list[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read() if proc.stderr else ""
    return elapsed, usage.ru_utime + usage.ru_stime


def row(label: str, samples: list[tuple[float, float]]) -> str:
    walls = [s[0] for s in samples]
    return (f"| {label} | {min(walls):.2f} | {statistics.median(walls):.2f} | "
            f"{min(s[1] for s in samples):.2f} |")


def folder_size(out: Path) -> tuple[int, int, int]:
    files = list(out.iterdir())
    pages = sum(1 for f in files if f.suffix == ".html")
    return pages, sum(f.stat().st_size for f in files), max(f.stat().st_size for f in files)


def build_times(repo: Path, work: Path, repeat: int) -> list[str]:
    cache = repo / ".git" / "gitstore"
    cold, warm, rebuild = [], [], []
    for i in range(repeat):
        shutil.rmtree(cache, ignore_errors=True)
        cold.append(measured([GITSTORE, "site", "-o", str(work / f"cold{i}"), "--rev", "HEAD"], repo))
        warm.append(measured([GITSTORE, "site", "-o", str(work / f"warm{i}"), "--rev", "HEAD"], repo))
        rebuild.append(measured([GITSTORE, "site", "-o", str(work / "warm0"), "--rev", "HEAD"], repo))
    return ["| build | best s | median s | best CPU s |", "|---|---:|---:|---:|",
            row("new folder, no cache", cold), row("new folder, warm cache", warm),
            row("rebuild into the previous build's folder", rebuild)]


def browser_times(out: Path, query: str) -> list[str]:
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("GITSTORE_CHROMIUM") or shutil.which("chromium")
    largest = max((p for p in out.glob("*.html")), key=lambda p: p.stat().st_size)
    lines = []
    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=chromium)
        page = browser.new_page()
        for name in ("index.html", largest.name):
            start = time.perf_counter()
            page.goto((out / name).as_uri(), wait_until="load")
            lines.append(f"- open `{name}` ({(out / name).stat().st_size / 1e6:.2f} MB) until its load "
                         f"event: {(time.perf_counter() - start) * 1000:.0f} ms")
        page.goto((out / "index.html").as_uri())
        for label in ("first search (loads the index)", "next search"):
            page.locator("#search").fill("")
            start = time.perf_counter()
            page.locator("#search").fill(query if label.startswith("first") else query[:-1])
            page.locator("#results a").first.wait_for()
            lines.append(f"- {label}, typing `{page.locator('#search').input_value()}` until results "
                         f"show: {(time.perf_counter() - start) * 1000:.0f} ms")
        browser.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20, help="Pipeline runs to record first.")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    for files in args.files:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            gen = generate(work / "repo", files)
            for i in range(args.runs):
                stack = gen.stacks[i % len(gen.stacks)]
                subprocess.run([GITSTORE, "run", "record", "--pipeline", f"pipeline-{i % 4}",
                                "--name", f"run-{i}", "--stack", stack, "--user", gen.users[0]],
                               cwd=gen.root, check=True,
                               capture_output=True)
            print(f"### {files} files, {args.runs} runs\n")
            print("\n".join(build_times(gen.root, work, args.repeat)))
            pages, size, biggest = folder_size(work / "cold0")
            index = (work / "cold0" / "search-index.js").stat().st_size
            print(f"\n- output: {pages} pages, {size / 1e6:.1f} MB in all, largest file "
                  f"{biggest / 1e6:.2f} MB, search index {index / 1e6:.2f} MB")
            if not args.no_browser:
                print("\n".join(browser_times(work / "cold0", gen.components[0][1][:14])))
            print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

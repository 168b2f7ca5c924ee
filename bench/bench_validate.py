"""Benchmark of ``gitstore validate``: whole-process wall time and peak memory.

For each size it generates a repository (``bench/generate.py``, seeded) and
measures, best of ``--repeat`` runs, the installed ``gitstore`` command on
the working tree, ``--staged`` and ``--rev HEAD``, each

* ``--no-cache``: every file read, parsed and checked again;
* cold cache: no cache yet (the run also writes it);
* warm: nothing changed since the last run;

plus ``--staged`` (and the working tree) after a one-file change with the
cache of the state before it, side by side with check-jsonschema validating
the same files against the same schemas, one invocation per kind as a
pre-commit user would configure it. It ends with the start-up cost
(``python -X importtime``) of a warm ``gitstore validate --staged``.

    python bench/bench_validate.py --files 10000 50000 --repeat 5 [--update BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.append(str(PROJECT))  # after site-packages: the installed gitstore wins

from bench.generate import generate  # noqa: E402

BIN = Path(sys.executable).parent
GITSTORE = str(BIN / "gitstore") if (BIN / "gitstore").exists() else "gitstore"
CHECK_JSONSCHEMA = str(BIN / "check-jsonschema") if (BIN / "check-jsonschema").exists() \
    else shutil.which("check-jsonschema")
SCHEMAS = PROJECT / "schemas"
KIND_GLOBS = {  # kind schema -> the files a pre-commit hook of that kind would pass
    "gitstore": ["gitstore.yaml"],
    "user": ["users/*.yaml"],
    "team": ["teams/*.yaml"],
    "project": ["projects/*.yaml"],
    "role": ["roles/*.yaml"],
    "flavor": ["flavors/*/*.yaml"],
    "component": ["components/*/*.yaml"],
    "stack": ["stacks/*.yaml"],
}
MAX_ARGS_BYTES = 1_000_000  # split long file lists the way xargs (and pre-commit) do


@dataclass
class Sample:
    seconds: float
    cpu_seconds: float  # user + system time of the process and the processes it waited for
    max_rss_kib: int
    exit_code: int


@dataclass
class Result:
    label: str
    samples: list[Sample]

    @property
    def best(self) -> Sample:
        return min(self.samples, key=lambda s: s.seconds)

    def row(self) -> str:
        best = self.best
        median = statistics.median(s.seconds for s in self.samples)
        rss = max(s.max_rss_kib for s in self.samples) / 1024
        codes = sorted({s.exit_code for s in self.samples})
        cpu = min(s.cpu_seconds for s in self.samples)
        return (f"| {self.label} | {best.seconds:.3f} | {median:.3f} | {cpu:.3f} | {rss:.0f} | "
                f"{','.join(map(str, codes))} |")


def run_measured(args: Sequence[str], cwd: Path) -> Sample:
    """One process (and what it waits for): wall time and its peak resident set."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(args), cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Sample(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, proc.returncode)


def run_group(commands: Sequence[Sequence[str]], cwd: Path) -> Sample:
    """Several processes one after the other, as one measurement (times add, memory is the max)."""
    samples = [run_measured(c, cwd) for c in commands]
    return Sample(sum(s.seconds for s in samples), sum(s.cpu_seconds for s in samples),
                  max(s.max_rss_kib for s in samples), max(s.exit_code for s in samples))


def repeat(label: str, times: int, measure: Callable[[], Sample],
           before: Callable[[], None] | None = None) -> Result:
    samples = []
    for _ in range(times):
        if before:
            before()
        samples.append(measure())
    return Result(label, samples)


def cache_file(repo: Path) -> Path:
    return repo / ".git" / "gitstore" / "validate-cache"


def drop_cache(repo: Path) -> None:
    shutil.rmtree(repo / ".git" / "gitstore", ignore_errors=True)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def check_jsonschema_commands(repo: Path, paths: Sequence[str] | None = None) -> list[list[str]]:
    """check-jsonschema invocations, one per kind (more when a file list is too long)."""
    assert CHECK_JSONSCHEMA, "pip install check-jsonschema (the bench extra)"
    commands = []
    for kind, globs in KIND_GLOBS.items():
        files = sorted(str(p.relative_to(repo)) for g in globs for p in repo.glob(g))
        if paths is not None:
            files = [f for f in files if f in paths]
        base = [CHECK_JSONSCHEMA, "--schemafile", str(SCHEMAS / f"{kind}.schema.json")]
        chunk: list[str] = []
        size = 0
        for name in files:
            if chunk and size + len(name) + 1 > MAX_ARGS_BYTES:
                commands.append(base + chunk)
                chunk, size = [], 0
            chunk.append(name)
            size += len(name) + 1
        if chunk:
            commands.append(base + chunk)
    return commands


def one_file_change(repo: Path, target: str, counter: list[int]) -> None:
    """Edit one component (a config value and a comment) and stage it."""
    counter[0] += 1
    path = repo / target
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"\n# bench edit \d+\n", "\n", text) + f"# bench edit {counter[0]}\n",
                    encoding="utf-8")
    git(repo, "add", "--", target)


def bench_size(files: int, times: int, workdir: Path) -> list[Result]:
    repo = workdir / f"repo-{files}"
    if repo.exists():
        shutil.rmtree(repo)
    generate(repo, files, seed=0)
    results: list[Result] = []
    modes = {"working tree": [], "--staged": ["--staged"], "--rev HEAD": ["--rev", "HEAD"]}
    for label, extra in modes.items():
        cmd = [GITSTORE, "validate", *extra]
        results.append(repeat(f"{label}, --no-cache", times,
                              lambda c=cmd: run_measured([*c, "--no-cache"], repo)))
        results.append(repeat(f"{label}, cold cache (writes it)", times,
                              lambda c=cmd: run_measured(c, repo), before=lambda: drop_cache(repo)))
        run_measured(cmd, repo)
        results.append(repeat(f"{label}, warm cache", times, lambda c=cmd: run_measured(c, repo)))
    target = next(str(p.relative_to(repo)) for p in sorted((repo / "components" / "orchestrator")
                                                          .glob("*.yaml")))
    run_measured([GITSTORE, "validate", "--staged"], repo)
    run_measured([GITSTORE, "validate"], repo)
    warm = cache_file(repo).read_bytes()
    counter = [0]

    def change() -> None:
        cache_file(repo).write_bytes(warm)
        one_file_change(repo, target, counter)

    results.append(repeat("--staged after a one-file change", times,
                          lambda: run_measured([GITSTORE, "validate", "--staged"], repo),
                          before=change))
    results.append(repeat("working tree after a one-file change", times,
                          lambda: run_measured([GITSTORE, "validate"], repo), before=change))
    git(repo, "checkout", "-q", "HEAD", "--", target)
    if CHECK_JSONSCHEMA:
        all_cmds = check_jsonschema_commands(repo)
        results.append(repeat(f"check-jsonschema, all files ({len(all_cmds)} invocations)", times,
                              lambda: run_group(all_cmds, repo)))
        one_cmds = check_jsonschema_commands(repo, [target])
        results.append(repeat("check-jsonschema, the one changed file", times,
                              lambda: run_group(one_cmds, repo)))
    return results


def import_summary(repo: Path, top: int = 12) -> list[str]:
    """The slowest imports of a warm ``gitstore validate --staged`` (cumulative, microseconds)."""
    run_measured([GITSTORE, "validate", "--staged"], repo)
    command = [sys.executable, "-X", "importtime", "-m", "gitstore", "validate", "--staged"]
    proc = subprocess.run(command, cwd=repo, capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(3)) <= 2:  # top-level imports and their direct children
            rows.append((int(match.group(2)), match.group(4).strip(), len(match.group(3))))
    total = sum(us for us, _, depth in rows if depth == 1)
    rows.sort(reverse=True)
    lines = [f"- all imports: {total / 1000:.0f} ms (sum of top-level imports)"]
    lines += [f"- `{name}`: {us / 1000:.1f} ms" for us, name, _ in rows[:top]]
    bare = min(run_measured([sys.executable, "-c", "pass"], repo).seconds for _ in range(5))
    version = min(run_measured([GITSTORE, "--version"], repo).seconds for _ in range(5))
    lines.append(f"- `python -c pass`: {bare * 1000:.0f} ms; "
                 f"`gitstore --version`: {version * 1000:.0f} ms")
    return lines


def machine_facts() -> list[str]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    git_version = _output(["git", "--version"])
    cjs = _output([CHECK_JSONSCHEMA, "--version"]) if CHECK_JSONSCHEMA \
        else "check-jsonschema not installed"
    load = os.getloadavg()
    return [f"- {os.cpu_count()} cores ({cpu}){mem}; load average at start {load[0]:.1f}",
            f"- {platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"{git_version}, {cjs}"]


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True).stdout.strip()


NOTES = """\
How the cost follows the change:

- Per-file results (parse, kind schema, built-in flavor config) are kept by path and git blob id
  in `.git/gitstore/validate-cache`; a custom flavor's config check by the component's and the
  flavor's blob ids; a flavor's own checks by its blob id. A warm run reads and parses only files
  whose blob id it has not seen.
- Whole results are kept by the digest of the file listing (path, mode, stage, blob id) in
  `.git/gitstore/validate-reports` (the last 8): a run over a listing seen before (a second
  `--staged`, the index equal to HEAD) reads no file and not even the per-file results.
- A run that is not answered whole resumes from the last whole result of its kind of source
  (`.git/gitstore/validate-state-*`: the listing by path and blob id, each document's parsed
  content and cross-file problems, the references between documents): it diffs the listing,
  reads only the changed files, and re-runs the cross-file checks of the touched documents and of
  those that refer to them (`gitstore/checks/resume.py`). The state is read in parts, each with
  a checksum: the problems, ids and entity files every run needs; the listing, read only when the
  state is written again; the parsed documents and the references in 64 parts each, read when a
  path of them is asked for. `--staged` compares git's listing as printed with the one the state
  was kept for, skipping the blocks both share at each end, so it parses neither whole.
  gitstore.yaml changes, large changes and a missing or damaged state (or part) run the whole
  check, which writes the state again.
- Most documents are valid, so a conservative built-in check (`gitstore/checks/fastschema.py`)
  answers "valid" for the keywords it fully understands, and jsonschema is imported only to list
  and word errors (and to meta-check custom flavors' schemas, once per flavor blob).
- The working tree has no blob ids, so every run reads and hashes each file (git's own index is not
  trusted for that); `--staged` and `--rev` list blob ids from git and read only unknown blobs
  with one `git cat-file --batch`.
- check-jsonschema checks only the schemas of each kind: no component config against its flavor,
  no references, no secrets; it is the lower bound of what a per-file tool costs, not a like for
  like comparison.
"""


def render(sizes: dict[int, list[Result]], facts: list[str], imports: list[str], times: int,
           times_large: int) -> str:
    out = [f"Produced by `python bench/bench_validate.py --files {' '.join(map(str, sizes))} "
           f"--repeat {times} --repeat-large {times_large} --update BENCHMARKS.md`. "
           "Whole-process wall time of the installed command (start-up included), best and "
           f"median of {times} runs ({times_large} above 10,000 files); "
           "peak RSS is the largest of the runs. "
           "The machine is shared with other work, so wall times are noisy: best-of-N is the "
           "figure to compare, and the CPU time (user + system, of the command and the git "
           "processes it runs) is what the work costs when the machine is not shared.",
           "", *facts, ""]
    header = "| run | best s | median s | best CPU s | peak RSS MiB | exit |"
    for files, results in sizes.items():
        out += [f"### {files:,} files", "", header, "|---|---:|---:|---:|---:|---|"]
        out += [r.row() for r in results]
        out.append("")
    out += [NOTES]
    out += [f"### Start-up (`python -X importtime`, warm `gitstore validate --staged`, "
            f"{min(sizes):,} files)", "",
            *imports, ""]
    return "\n".join(out)


def update_section(doc: Path, name: str, body: str) -> None:
    text = doc.read_text(encoding="utf-8")
    start = f"<!-- section: {name} -->"
    end = f"<!-- end section: {name} -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    doc.write_text(f"{head}{start}\n{body}\n{end}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--repeat-large", type=int, default=3, help="runs for sizes above 10,000")
    parser.add_argument("--workdir", type=Path, default=HERE / "out")
    parser.add_argument("--update", type=Path, help="write the results into this BENCHMARKS.md")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    facts = machine_facts()
    sizes: dict[int, list[Result]] = {}
    for files in args.files:
        sizes[files] = bench_size(files, args.repeat if files <= 10_000 else args.repeat_large,
                                  args.workdir)
        for result in sizes[files]:
            print(f"{files} {result.row()}", flush=True)
    first = args.workdir / f"repo-{min(args.files)}"
    imports = import_summary(first)
    body = render(sizes, facts, imports, args.repeat, args.repeat_large)
    print(body)
    if args.update:
        update_section(args.update, "validate", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`gitstore serve` driven by ZenML 0.10.0 itself: its RestZenStore and its CLI, unchanged.

ZenML 0.10.0 runs only on Python 3.9; tests/zenml010/make-env.sh builds that
environment from the pinned list beside it, once, into a cache folder. When it
cannot be built these tests fail with the reason: they are never skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import GITSTORE, git
from serve_helpers import serving

HERE = Path(__file__).parent / "zenml010"
# read before the tests isolate HOME: the built environment outlives the test session
CACHE = os.environ.get("GITSTORE_TEST_CACHE") or str(Path.home() / ".cache" / "gitstore-tests")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def zenml_env() -> Path:
    proc = subprocess.run(["bash", str(HERE / "make-env.sh")], capture_output=True, text=True,
                          env={**os.environ, "GITSTORE_TEST_CACHE": CACHE})
    if proc.returncode != 0:
        pytest.fail("cannot build the ZenML 0.10.0 environment (tests/zenml010/make-env.sh): "
                    + proc.stderr.strip()[-3000:], pytrace=False)
    return Path(proc.stdout.strip().splitlines()[-1])


def zenml_environ(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ZENML_CONFIG_PATH": str(tmp_path / "zenml-config"),
            "ZENML_ANALYTICS_OPT_IN": "false", "ZENML_DEBUG": "false", "NO_COLOR": "1"}


def test_zenml_zen_store_tests_pass_through_the_server(zenml_env: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        [str(zenml_env / "bin" / "python"), str(HERE / "zen_store_driver.py"), str(GITSTORE),
         str(work)], capture_output=True, text=True, env=zenml_environ(tmp_path), cwd=tmp_path,
        timeout=1200)
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    failed = {r["test"]: r["error"] for r in results if not r["ok"]}
    assert not failed, "\n".join(f"{name}:\n{error}" for name, error in failed.items())
    assert len(results) == 16, proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr[-3000:]


PIPELINE = '''
from zenml.pipelines import pipeline
from zenml.steps import Output, step


@step
def produce() -> Output(number=int):
    return 41


@step
def consume(number: int) -> int:
    return number + 1


@pipeline
def answer_pipeline(first, second):
    second(first())


answer_pipeline(first=produce(), second=consume()).run(run_name="answer-1")
'''


def test_zenml_cli_stores_into_git(zenml_env: Path, tmp_path: Path) -> None:
    repo = tmp_path / "config"
    subprocess.run([str(GITSTORE), "init", str(repo)], check=True, capture_output=True)
    env = zenml_environ(tmp_path)
    zenml = str(zenml_env / "bin" / "zenml")

    def run(*args: str) -> str:
        proc = subprocess.run([zenml, *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, f"zenml {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout + proc.stderr

    with serving([str(repo)], cwd=tmp_path) as server:
        run("profile", "create", "team", "-t", "rest", "--url", server.url, "--user", "default")
        run("profile", "set", "team")
        run("orchestrator", "register", "orch2", "--flavor", "local")
        run("artifact-store", "register", "art2", "--flavor", "local",
            f"--path={tmp_path / 'artifacts'}")
        run("metadata-store", "register", "meta2", "--flavor", "sqlite",
            f"--uri={tmp_path / 'metadata.db'}")
        run("stack", "register", "team-stack", "-o", "orch2", "-a", "art2", "-m", "meta2")
        listing = run("stack", "list")
        assert "team-stack" in listing and "default" in listing
        run("user", "create", "bob")
        run("team", "create", "ml")
        run("role", "create", "admin")
        run("role", "assign", "admin", "--user", "bob")
        run("team", "add", "ml", "--user", "bob")

        # a hand edit, committed: the next request sees it (bob's commits carry this email)
        user_file = repo / "users" / "bob.yaml"
        user_file.write_text(user_file.read_text() + "email: bob@example.com\n")
        git(repo, "commit", "-qam", "bob's email")

        run("profile", "create", "bobs", "-t", "rest", "--url", server.url, "--user", "bob")
        run("profile", "set", "bobs")
        run("stack", "set", "team-stack")
        run("orchestrator", "register", "orch3", "--flavor", "local")
        code = tmp_path / "code"
        code.mkdir()
        (code / "run_pipeline.py").write_text(PIPELINE)
        proc = subprocess.run([str(zenml_env / "bin" / "python"), "run_pipeline.py"], cwd=code,
                              env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    log = git(repo, "log", "--format=%an <%ae>|%s", "main").splitlines()
    assert log[:-1] == [
        "bob <bob@example.com>|gitstore: register orchestrator orch3",
        "Test Author <author@example.com>|bob's email",
        "default <>|gitstore: add user bob to team ml",
        "default <>|gitstore: assign role admin to user bob",
        "default <>|gitstore: create role admin",
        "default <>|gitstore: create team ml",
        "default <>|gitstore: create user bob",
        "default <>|gitstore: register stack team-stack",
        "default <>|gitstore: register metadata_store meta2",
        "default <>|gitstore: register artifact_store art2",
        "default <>|gitstore: register orchestrator orch2",
    ]
    runs = git(repo, "log", "--format=%an <%ae>|%s", "gitstore/runs").splitlines()
    assert runs[0] == "bob <bob@example.com>|Record run answer-1 of pipeline answer_pipeline"
    validate = subprocess.run([str(GITSTORE), "validate", str(repo)], capture_output=True,
                              text=True)
    assert validate.returncode == 0, validate.stdout + validate.stderr

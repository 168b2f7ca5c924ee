"""`gitstore serve` over HTTP: ZenML's answers, and what git adds (integrity, roles, authors)."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

import pytest
from conftest import GITSTORE, git, run_cli
from serve_helpers import Server, new_repository, serving


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def component(type_: str, flavor: str, name: str, uuid: str, config: str = "") -> dict[str, str]:
    return {"type": type_, "flavor": flavor, "name": name, "uuid": uuid,
            "config": b64(f"name: {name}\nuuid: {uuid}\n{config}")}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return new_repository(tmp_path)


@pytest.fixture
def server(repo: Path, tmp_path: Path) -> Server:
    with serving([str(repo)], cwd=tmp_path) as running:
        yield running


def commits(repo: Path) -> list[str]:
    return git(repo, "log", "--format=%an <%ae>|%s").splitlines()


def test_answers_as_zenml_server(server: Server) -> None:
    assert server.call("GET", "/health", user=None).body == "OK"
    assert server.call("GET", "/stacks", user=None).status == 401
    unknown = server.call("GET", "/stacks", user="mallory")
    assert (unknown.status, unknown.body) == (401, {"detail": "Incorrect username."})
    missing = server.call("GET", "/stacks/nope")
    assert missing.status == 404
    assert missing.body["detail"][0] == "KeyError" and "nope" in missing.body["detail"][1]
    assert server.call("GET", "/no/such/route").body == {"detail": "Not Found"}
    stacks = server.call("GET", "/stacks")
    assert stacks.status == 200 and [s["name"] for s in stacks.body] == ["default"]
    assert server.call("GET", "/stack-configurations/default").body == {
        "orchestrator": "default", "artifact_store": "default", "metadata_store": "default"}
    assert server.call("GET", "/stacks-empty").body is False
    created = server.call("POST", "/users", {"name": "aria"})
    assert created.status == 200 and created.body["name"] == "aria"
    again = server.call("POST", "/users", {"name": "aria"})
    assert again.status == 409 and again.body["detail"][0] == "EntityExistsError"
    twice = server.call("POST", "/stacks", {"name": "default", "components": []})
    assert twice.status == 409 and twice.body["detail"][0] == "StackExistsError"
    used = server.call("DELETE", "/components/orchestrator/default")
    assert used.status == 409 and used.body["detail"][0] == "ValueError"
    assert server.call("GET", "/flavors/orchestrator").body == []  # built-ins are the client's
    assert server.call("GET", "/flavors/orchestrator/local").status == 404


def test_each_write_is_one_commit_authored_as_the_user(server: Server, repo: Path) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", "start")
    user_file = repo / "users" / "default.yaml"
    user_file.write_text(user_file.read_text() + "email: ops@example.com\n")  # a hand edit
    git(repo, "commit", "-qam", "default's email")
    orchestrator = component("orchestrator", "local", "o2", "1f0d1b8e-2f9c-4a8f-9a55-111111111111")
    assert server.call("POST", "/components", orchestrator).status == 200
    assert server.call("POST", "/teams", {"name": "ml"}).status == 200
    assert server.call("POST", "/teams/ml/users", {"name": "default"}).status == 200
    assert commits(repo)[:3] == [
        "default <ops@example.com>|gitstore: add user default to team ml",
        "default <ops@example.com>|gitstore: create team ml",
        "default <ops@example.com>|gitstore: register orchestrator o2",
    ]


def test_hand_edits_are_seen_by_the_next_request(server: Server, repo: Path) -> None:
    assert server.call("GET", "/users/carol").status == 404
    (repo / "users" / "carol.yaml").write_text("email: carol@example.com\n")  # not even committed
    assert server.call("GET", "/users/carol").body["name"] == "carol"
    assert server.call("GET", "/stacks", user="carol").status == 200


def test_creation_dates_are_whole_seconds_before_and_after_the_commit(server: Server,
                                                                      repo: Path) -> None:
    carol = repo / "users" / "carol.yaml"
    carol.write_text("email: carol@example.com\n")  # not committed yet
    written = 981173106.789012  # 2001-02-03T04:05:06.789012Z
    os.utime(carol, (written, written))
    before = server.call("GET", "/users/carol").body["creation_date"]
    assert before == "2001-02-03T04:05:06Z"  # the file's last write, in whole seconds
    assert server.call("GET", "/users").body[0]["creation_date"] == before
    git(repo, "add", "users/carol.yaml")
    env = {**os.environ, "GIT_COMMITTER_DATE": "2001-02-03T04:05:06Z"}
    subprocess.run(["git", "commit", "-qm", "carol"], cwd=repo, env=env, check=True)
    assert server.call("GET", "/users/carol").body["creation_date"] == before
    created = server.call("POST", "/teams", {"name": "ml"}).body["creation_date"]
    assert created.endswith("Z") and "." not in created  # committed by the server: the same


def test_hand_edits_in_place_and_in_new_folders_are_seen(server: Server, repo: Path) -> None:
    for _ in range(3):  # reads that the server may answer from what it read before
        assert server.call("GET", "/flavors/orchestrator").body == []
        before = server.call("GET", "/components/orchestrator/default").body
    config = repo / "components" / "orchestrator" / "default.yaml"
    config.write_text(config.read_text().replace("flavor: local", "flavor: airflow"))
    assert server.call("GET", "/components/orchestrator/default").body["flavor"] == "airflow"
    assert before["flavor"] == "local"
    folder = repo / "flavors" / "orchestrator"  # folders that did not exist when it started
    folder.mkdir(parents=True)
    (folder / "mine.yaml").write_text("source: my.flavors.Mine\n")
    assert [f["name"] for f in server.call("GET", "/flavors/orchestrator").body] == ["mine"]
    (folder / "mine.yaml").unlink()
    assert server.call("GET", "/flavors/orchestrator").body == []


def test_integrity_breaking_writes_are_refused_with_located_problems(server: Server,
                                                                      repo: Path) -> None:
    before = commits(repo)
    bad = component("orchestrator", "nosuch", "o3", "1f0d1b8e-2f9c-4a8f-9a55-333333333333")
    refused = server.call("POST", "/stacks", {"name": "s3", "components": [bad]})
    assert refused.status == 422
    assert [p["code"] for p in refused.body["problems"]] == ["GS201"]
    assert refused.body["problems"][0]["path"] == "components/orchestrator/o3.yaml"
    assert refused.body["detail"][0] == "IntegrityError"
    assert commits(repo) == before


def test_deregistering_the_default_stack_drops_the_setting(server: Server, repo: Path) -> None:
    before = commits(repo)
    gone = server.call("DELETE", "/stacks/default")  # gitstore.yaml names it the default stack
    assert gone.status == 200, gone
    assert len(commits(repo)) == len(before) + 1
    assert "default_stack" not in git(repo, "show", "HEAD:gitstore.yaml")
    assert run_cli("validate", cwd=repo).code == 0


def test_plain_text_secrets_are_refused(server: Server, repo: Path) -> None:
    mysql = component("metadata_store", "mysql", "db", "1f0d1b8e-2f9c-4a8f-9a55-444444444444",
                      "host: db\ndatabase: mlmd\nport: 3306\npassword: hunter2\n")
    refused = server.call("POST", "/components", mysql)
    assert refused.status == 422
    assert [p["code"] for p in refused.body["problems"]] == ["GS301"]
    assert "hunter2" not in git(repo, "log", "-p")
    referenced = component("metadata_store", "mysql", "db", "1f0d1b8e-2f9c-4a8f-9a55-444444444444",
                           "host: db\ndatabase: mlmd\nport: 3306\npassword: '{{ db.password }}'\n")
    assert server.call("POST", "/components", referenced).status == 200


def test_malformed_bodies_are_422_never_500(server: Server) -> None:
    cases = [
        ("POST", "/users", b"{not json"),
        ("POST", "/users", b"[1, 2]"),
        ("POST", "/users", b'{"name": 42}'),
        ("POST", "/stacks", b'{"name": "x", "components": [{"type": "nope"}]}'),
        ("POST", "/components", b'{"type": "orchestrator", "flavor": "local", "name": "x", '
                                b'"uuid": "not-a-uuid", "config": "!!"}'),
        ("POST", "/role_assignments", b'{"role_name": "admin"}'),
        ("DELETE", "/role_assignments", b"\xff\xfe"),
        ("POST", "/pipeline_runs", b'{"name": "r"}'),
        ("PUT", "/components/not_a_type/x", b"{}"),
        ("POST", "/users", b'{"name": "../../etc"}'),
    ]
    for method, path, raw in cases:
        answer = server.call(method, path, raw=raw)
        assert answer.status == 422, (method, path, raw, answer.text)
        assert "Traceback" not in answer.text


def test_request_bodies_are_limited(repo: Path, tmp_path: Path) -> None:
    with serving([str(repo), "--max-body-size", "2048"], cwd=tmp_path) as server:
        big = b'{"name": "' + b"a" * 4096 + b'"}'
        answer = server.call("POST", "/users", raw=big)
        assert answer.status == 413 and answer.body["detail"][0] == "RequestTooLarge"
        assert server.call("POST", "/users", {"name": "small"}).status == 200


def test_roles_are_enforced_per_request(repo: Path, tmp_path: Path) -> None:
    settings = repo / "gitstore.yaml"
    settings.write_text(settings.read_text() + "enforce_permissions: true\n")
    (repo / "roles").mkdir()
    (repo / "roles" / "admin.yaml").write_text(
        "permissions:\n"
        "  stack: [create, read, update, delete]\n"
        "  stack_component: [create, read, update, delete]\n"
        "  user: [create, read, update, delete]\n"
        "assignments:\n  - user: default\n")
    (repo / "roles" / "viewer.yaml").write_text(
        "permissions:\n  stack: [read]\nassignments:\n  - user: bob\n")
    (repo / "users" / "bob.yaml").write_text("email: bob@example.com\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "roles")
    with serving([str(repo)], cwd=tmp_path) as server:
        assert server.call("GET", "/stacks", user="bob").status == 200
        denied = server.call("POST", "/users", {"name": "eve"}, user="bob")
        assert denied.status == 403
        assert denied.body["detail"][0] == "PermissionDenied"
        assert "`user: create`" in denied.body["detail"][1] and "default" in denied.body["detail"][1]
        assert denied.body["permission"] == {"operation": "user", "type": "create", "project": None}
        teams = server.call("GET", "/teams", user="bob")
        assert teams.status == 403 and "`team: read`" in teams.body["detail"][1]
        new_parts = server.call("POST", "/stacks", {"name": "s2", "components": [
            component("orchestrator", "local", "o9", "1f0d1b8e-2f9c-4a8f-9a55-999999999999")]},
            user="bob")
        assert new_parts.status == 403 and "`stack: create`" in new_parts.body["detail"][1]
        assert server.call("POST", "/users", {"name": "eve"}).status == 200
    assert commits(repo)[0] == "default <>|gitstore: create user eve"


def test_listens_on_loopback_unless_allowed(repo: Path, tmp_path: Path) -> None:
    refused = subprocess.run([str(GITSTORE), "serve", str(repo), "--host", "0.0.0.0"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "refusing to listen on 0.0.0.0" in refused.stderr and "--allow-remote" in refused.stderr
    with serving([str(repo), "--host", "0.0.0.0", "--allow-remote"], cwd=tmp_path) as server:
        assert server.call("GET", "/stacks").status == 200
        log = server.log.read_text()
    assert "--allow-remote" in log and "proxy that authenticates" in log


def test_user_names_from_other_peers_are_not_believed(repo: Path) -> None:
    from gitstore.serve.access import Gate
    from gitstore.serve.errors import ApiError
    from gitstore.store import GitZenStore

    store = GitZenStore().initialize(str(repo), skip_default_registrations=True)
    assert Gate().identify(store, "127.0.0.1", "default").name == "default"
    assert Gate().identify(store, "::1", "default").name == "default"
    with pytest.raises(ApiError) as refused:
        Gate().identify(store, "192.0.2.7", "default")
    assert refused.value.status == 403 and refused.value.body["detail"][0] == "RemoteRefused"
    assert Gate(allow_remote=True).identify(store, "192.0.2.7", "default").name == "default"


def test_usage_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    answer = subprocess.run([str(GITSTORE), "serve", str(plain)], capture_output=True, text=True,
                            timeout=60)
    assert answer.returncode == 2 and "not a configuration repository" in answer.stderr
    # without the serve extra: a package named fastapi that cannot be imported shadows it
    shadow = tmp_path / "shadow" / "fastapi"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed', name='fastapi')\n")
    answer = subprocess.run([str(GITSTORE), "serve", str(plain)], capture_output=True, text=True,
                            env={"PYTHONPATH": str(shadow.parent), "PATH": "/usr/bin:/bin",
                                 "HOME": str(tmp_path)}, timeout=60)
    assert answer.returncode == 2
    assert "pip install 'gitstore[serve]'" in answer.stderr


def test_requests_are_never_traced_even_when_the_environment_sets_up_tracing(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process-wide OpenTelemetry provider (what `opentelemetry-instrument` installs) and
    FASTAPI_OTEL_AUTO_CONFIGURE=true: the real application, called as uvicorn calls it,
    starts no span, so nothing can leave the machine through it."""
    import asyncio

    from opentelemetry import trace
    from opentelemetry.trace import NoOpTracer

    from gitstore.serve.app import create_app
    from gitstore.serve.runner import ServeOptions, open_state

    asked: list[str] = []

    class Recording(trace.TracerProvider):
        def get_tracer(self, name: str, *args: object, **kwargs: object) -> trace.Tracer:
            asked.append(name)
            return NoOpTracer()

    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", Recording())
    state = open_state(ServeOptions(path=repo))
    app = create_app(state)
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/health", "raw_path": b"/health", "query_string": b"",
             "root_path": "", "headers": [], "client": ("127.0.0.1", 5000),
             "server": ("127.0.0.1", 8000)}
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 200
    assert asked == []

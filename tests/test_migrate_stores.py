"""ZenML 0.10 stores built by hand from the documented formats, and the readers' view of them.

The folder store and the SQLite store below hold the same content, so both
readers must give the same result. Other migration tests import the builders.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import isolate, write_files

from gitstore.migrate.model import DanglingReference, SourceError
from gitstore.migrate.zenml_folder import read_folder
from gitstore.migrate.zenml_sqlite import read_sqlite

U_DEFAULT = "0a2c4e6f-8a1b-4c3d-9e5f-6a7b8c9d0e11"
U_ALICE = "1c3f5e7a-9b2d-4f6a-8c0e-3b4d5e6f7a88"
U_BOB = "1c3f5e7a-9b2d-4f6a-8c0e-3b4d5e6f7a89"
T_PLATFORM = "2d4f6a8b-0c3e-4a7b-9d1f-4c5e6f7a8b99"
R_ADMIN = "8b2e0d3f-6c4a-4d9b-9f8e-2a3b4c5d6e77"
R_VIEWER = "8b2e0d3f-6c4a-4d9b-9f8e-2a3b4c5d6e78"
P_FRAUD = "6e0b9a8c-3e7b-4a8e-9a3c-0f6b1d2a3c44"
P_CHURN = "6e0b9a8c-3e7b-4a8e-9a3c-0f6b1d2a3c45"
A_IDS = ["7a1d9c2e-5b3f-4c8a-8e7d-1f2a3b4c5d66", "7a1d9c2e-5b3f-4c8a-8e7d-1f2a3b4c5d67",
         "7a1d9c2e-5b3f-4c8a-8e7d-1f2a3b4c5d68"]
LOCAL = "/home/u/.config/zenml/local_stores/5a5e0d8c-1f39-4bd3-a1a7-7e2a0c6f3e11"

# every plain-text secret of the stores below (none may reach git)
SECRETS = ("hunter2", "old-pass-1", "tok-123", "AKIAEXAMPLE", "s3cr3t-value")

COMPONENT_FILES = {
    "orchestrators/default.yaml": "name: default\nuuid: 3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7\n",
    "orchestrators/kfp-prod.yaml": """\
custom_docker_base_image_name: acme/base:1.2
kubeflow_hostname: null
kubeflow_pipelines_ui_port: 8080
kubernetes_context: prod-cluster
name: kfp-prod
skip_cluster_provisioning: false
skip_local_validations: false
skip_ui_daemon_provisioning: false
synchronous: true
uuid: d6f4b785-60ab-46e3-841e-57c838d252c1
""",
    "orchestrators/custom.yaml": """\
api_token: tok-123
name: custom
region: eu
uuid: 4f5a6b7c-8d9e-4fa0-b1c2-d3e4f5a6b7c8
""",
    "artifact_stores/default.yaml": f"""\
name: default
path: {LOCAL}
uuid: 5a5e0d8c-1f39-4bd3-a1a7-7e2a0c6f3e11
""",
    "artifact_stores/s3-prod.yaml": """\
authentication_secret: null
client_kwargs: null
config_kwargs: null
key: AKIAEXAMPLE
name: s3-prod
path: s3://acme-ml-artifacts
s3_additional_kwargs: null
secret: s3cr3t-value
token: null
uuid: 0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e
""",
    "metadata_stores/default.yaml": f"""\
name: default
upgrade_migration_enabled: true
uri: {LOCAL}/metadata.db
uuid: 9f1f6a2b-3c4d-4e5f-8a9b-0c1d2e3f4a55
""",
    "metadata_stores/mysql-prod.yaml": """\
database: mlmd
host: db.internal
name: mysql-prod
password: hunter2
port: 3306
secret: null
upgrade_migration_enabled: true
username: mlmd
uuid: b0f85415-4f07-4621-af72-9fd27ab33411
""",
    "container_registries/ecr.yaml": """\
authentication_secret: null
name: ecr
uri: 123456789.dkr.ecr.eu-west-1.amazonaws.com
uuid: 1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
""",
}

FLAVORS = {  # (type, name) -> flavor, as in stack_components
    ("orchestrator", "default"): "local", ("orchestrator", "kfp-prod"): "kubeflow",
    ("orchestrator", "custom"): "my-orch", ("artifact_store", "default"): "local",
    ("artifact_store", "s3-prod"): "s3", ("metadata_store", "default"): "sqlite",
    ("metadata_store", "mysql-prod"): "mysql", ("container_registry", "ecr"): "aws",
}
PLURAL_TYPES = {"orchestrators": "orchestrator", "artifact_stores": "artifact_store",
                "metadata_stores": "metadata_store", "container_registries": "container_registry"}

STACKS_YAML = f"""\
projects:
- creation_date: '2022-06-30T10:00:05.000001'
  description: Fraud models
  id: {P_FRAUD}
  name: fraud
- creation_date: '2022-06-30T10:00:06.000001'
  description: null
  id: {P_CHURN}
  name: churn
role_assignments:
- creation_date: '2022-06-30T10:00:07.000001'
  id: {A_IDS[0]}
  project_id: null
  role_id: {R_ADMIN}
  team_id: null
  user_id: {U_ALICE}
- creation_date: '2022-06-30T10:00:08.000001'
  id: {A_IDS[1]}
  project_id: {P_FRAUD}
  role_id: {R_VIEWER}
  team_id: {T_PLATFORM}
  user_id: null
- creation_date: '2022-06-30T10:00:09.000001'
  id: {A_IDS[2]}
  project_id: {P_CHURN}
  role_id: {R_VIEWER}
  team_id: null
  user_id: {U_BOB}
roles:
- creation_date: '2022-06-30T10:00:03.000001'
  id: {R_ADMIN}
  name: admin
  permissions: []
- creation_date: '2022-06-30T10:00:04.000001'
  id: {R_VIEWER}
  name: viewer
  permissions: []
stack_component_flavors:
- integration: null
  name: my-orch
  source: acme.flavors.MyOrchestrator
  type: orchestrator
stack_components:
  artifact_store:
    default: local
    s3-prod: s3
  container_registry:
    ecr: aws
  metadata_store:
    default: sqlite
    mysql-prod: mysql
  orchestrator:
    custom: my-orch
    default: local
    kfp-prod: kubeflow
stacks:
  custom:
    artifact_store: default
    metadata_store: default
    orchestrator: custom
  default:
    artifact_store: default
    metadata_store: default
    orchestrator: default
  production:
    artifact_store: s3-prod
    container_registry: ecr
    metadata_store: mysql-prod
    orchestrator: kfp-prod
team_assignments:
  ml-platform:
  - alice
  - bob
teams:
- creation_date: '2022-06-30T10:00:02.000001'
  id: {T_PLATFORM}
  name: ml-platform
users:
- creation_date: '2022-06-30T10:00:00.000001'
  id: {U_DEFAULT}
  name: default
- creation_date: '2022-06-30T10:00:01.000001'
  id: {U_ALICE}
  name: alice
- creation_date: '2022-06-30T10:00:01.000002'
  id: {U_BOB}
  name: bob
"""


@contextmanager
def isolated(home: Path) -> Iterator[None]:
    """conftest's isolation, for fixtures wider than one test."""
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home)
        yield


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _run_component(path: str, text: str | None = None) -> dict[str, str]:
    folder, _, filename = path.partition("/")
    type_, name = PLURAL_TYPES[folder], filename.removesuffix(".yaml")
    body = text or COMPONENT_FILES[path]
    uuid = body.rsplit("uuid: ", 1)[1].strip()
    return {"type": type_, "flavor": FLAVORS[(type_, name)], "name": name, "uuid": uuid,
            "config": _b64(body)}


def _run(name: str, stack: str, components: list[dict[str, str]], project: str | None,
         pipeline: str) -> dict[str, object]:
    return {"name": name, "zenml_version": "0.10.0", "git_sha": "a" * 40,
            "pipeline": {"name": pipeline, "docstring": None,
                         "steps": [{"name": "load", "docstring": "Loads data."}]},
            "stack": {"name": stack, "components": components},
            "runtime_configuration": {"run_name": name}, "user_id": U_ALICE,
            "project_name": project}


OLD_MYSQL = COMPONENT_FILES["metadata_stores/mysql-prod.yaml"].replace("hunter2", "old-pass-1")
RUNS = {  # pipeline -> runs, in the store's order
    "training": [
        _run("training-1", "production", [
            _run_component("orchestrators/kfp-prod.yaml"),
            _run_component("metadata_stores/mysql-prod.yaml", OLD_MYSQL),
            _run_component("artifact_stores/s3-prod.yaml")], "fraud", "training"),
        _run("training-2", "production", [
            _run_component("orchestrators/kfp-prod.yaml"),
            _run_component("metadata_stores/mysql-prod.yaml"),
            _run_component("artifact_stores/s3-prod.yaml")], "fraud", "training"),
    ],
    "scoring": [
        _run("scoring-1", "custom", [
            _run_component("orchestrators/custom.yaml"),
            _run_component("metadata_stores/default.yaml"),
            _run_component("artifact_stores/default.yaml")], None, "scoring"),
    ],
}


def build_folder_store(root: Path, runs: bool = True) -> Path:
    """A folder store as ZenML 0.10 writes it."""
    import yaml

    files: dict[str, str | bytes] = {"stacks.yaml": STACKS_YAML, **COMPONENT_FILES}
    if runs:
        files["pipeline_runs.yaml"] = yaml.safe_dump({"pipeline_runs": RUNS}, sort_keys=True)
    write_files(root, files)
    return root


SQLITE_TABLES = {  # as ZenML 0.10's SqlZenStore creates them
    "zenuser": "id INTEGER NOT NULL PRIMARY KEY, name VARCHAR NOT NULL",
    "zenstack": "name VARCHAR NOT NULL PRIMARY KEY, created_by INTEGER NOT NULL, "
                "create_time DATETIME NOT NULL",
    "zenstackcomponent": "component_type VARCHAR NOT NULL, name VARCHAR NOT NULL, "
                         "component_flavor VARCHAR NOT NULL, configuration BLOB NOT NULL, "
                         "PRIMARY KEY (component_type, name)",
    "zenstackdefinition": "stack_name VARCHAR NOT NULL, component_type VARCHAR NOT NULL, "
                          "component_name VARCHAR NOT NULL, "
                          "PRIMARY KEY (stack_name, component_type, component_name)",
    "zenflavor": "type VARCHAR NOT NULL, name VARCHAR NOT NULL, source VARCHAR NOT NULL, "
                 "integration VARCHAR, PRIMARY KEY (type, name)",
    "usertable": "id CHAR(32) NOT NULL PRIMARY KEY, creation_date DATETIME NOT NULL, "
                 "name VARCHAR NOT NULL",
    "teamtable": "id CHAR(32) NOT NULL PRIMARY KEY, creation_date DATETIME NOT NULL, "
                 "name VARCHAR NOT NULL",
    "roletable": "id CHAR(32) NOT NULL PRIMARY KEY, creation_date DATETIME NOT NULL, "
                 "name VARCHAR NOT NULL",
    "projecttable": "id CHAR(32) NOT NULL PRIMARY KEY, creation_date DATETIME NOT NULL, "
                    "name VARCHAR NOT NULL, description VARCHAR",
    "teamassignmenttable": "user_id CHAR(32) NOT NULL, team_id CHAR(32) NOT NULL, "
                           "PRIMARY KEY (user_id, team_id)",
    "roleassignmenttable": "id CHAR(32) NOT NULL PRIMARY KEY, creation_date DATETIME NOT NULL, "
                           "role_id CHAR(32) NOT NULL, project_id CHAR(32), team_id CHAR(32), "
                           "user_id CHAR(32)",
    "pipelineruntable": "name VARCHAR NOT NULL PRIMARY KEY, zenml_version VARCHAR NOT NULL, "
                        "git_sha VARCHAR, pipeline_name VARCHAR NOT NULL, "
                        "pipeline VARCHAR NOT NULL, stack VARCHAR NOT NULL, "
                        "runtime_configuration VARCHAR NOT NULL, user_id CHAR(32) NOT NULL, "
                        "project_name VARCHAR",
}


def _hex(uid: str | None) -> str | None:
    return uid.replace("-", "") if uid else None


def build_sqlite_store(path: Path) -> Path:
    """A SQLite store with the documented tables, holding what the folder store holds."""
    conn = sqlite3.connect(path)
    with conn:
        for table, columns in SQLITE_TABLES.items():
            conn.execute(f"CREATE TABLE {table} ({columns})")
        conn.execute("INSERT INTO zenuser VALUES (1, 'LocalZenUser')")
        for path_, text in COMPONENT_FILES.items():
            folder, _, filename = path_.partition("/")
            type_, name = PLURAL_TYPES[folder], filename.removesuffix(".yaml")
            conn.execute("INSERT INTO zenstackcomponent VALUES (?, ?, ?, ?)",
                         (type_, name, FLAVORS[(type_, name)], _b64(text).encode()))
        for stack, parts in {"default": {"orchestrator": "default", "artifact_store": "default",
                                         "metadata_store": "default"},
                             "custom": {"orchestrator": "custom", "artifact_store": "default",
                                        "metadata_store": "default"},
                             "production": {"orchestrator": "kfp-prod", "artifact_store": "s3-prod",
                                            "metadata_store": "mysql-prod",
                                            "container_registry": "ecr"}}.items():
            conn.execute("INSERT INTO zenstack VALUES (?, 1, '2022-06-30 10:00:00.000001')",
                         (stack,))
            for type_, name in parts.items():
                conn.execute("INSERT INTO zenstackdefinition VALUES (?, ?, ?)",
                             (stack, type_, name))
        conn.execute("INSERT INTO zenflavor VALUES ('orchestrator', 'my-orch', "
                     "'acme.flavors.MyOrchestrator', NULL)")
        for table, rows in {
            "usertable": [(U_DEFAULT, "00.000001", "default"), (U_ALICE, "01.000001", "alice"),
                          (U_BOB, "01.000002", "bob")],
            "teamtable": [(T_PLATFORM, "02.000001", "ml-platform")],
            "roletable": [(R_ADMIN, "03.000001", "admin"), (R_VIEWER, "04.000001", "viewer")],
        }.items():
            for uid, seconds, name in rows:
                conn.execute(f"INSERT INTO {table} VALUES (?, ?, ?)",
                             (_hex(uid), f"2022-06-30 10:00:{seconds}", name))
        conn.execute("INSERT INTO projecttable VALUES (?, '2022-06-30 10:00:05.000001', 'fraud', "
                     "'Fraud models')", (_hex(P_FRAUD),))
        conn.execute("INSERT INTO projecttable VALUES (?, '2022-06-30 10:00:06.000001', 'churn', "
                     "NULL)", (_hex(P_CHURN),))
        for user in (U_ALICE, U_BOB):
            conn.execute("INSERT INTO teamassignmenttable VALUES (?, ?)",
                         (_hex(user), _hex(T_PLATFORM)))
        for aid, second, role, project, team, user in [
                (A_IDS[0], 7, R_ADMIN, None, None, U_ALICE),
                (A_IDS[1], 8, R_VIEWER, P_FRAUD, T_PLATFORM, None),
                (A_IDS[2], 9, R_VIEWER, P_CHURN, None, U_BOB)]:
            conn.execute("INSERT INTO roleassignmenttable VALUES (?, ?, ?, ?, ?, ?)",
                         (_hex(aid), f"2022-06-30 10:00:0{second}.000001", _hex(role),
                          _hex(project), _hex(team), _hex(user)))
        for pipeline, runs in sorted(RUNS.items()):
            for run in runs:
                conn.execute("INSERT INTO pipelineruntable VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             (run["name"], run["zenml_version"], run["git_sha"], pipeline,
                              json.dumps(run["pipeline"]), json.dumps(run["stack"]),
                              json.dumps(run["runtime_configuration"]), _hex(U_ALICE),
                              run["project_name"]))
    conn.close()
    return path


# ---- the readers ----------------------------------------------------------------------------


def test_folder_store_reads_every_fact(tmp_path: Path) -> None:
    data = read_folder(build_folder_store(tmp_path / "store"))
    assert sorted(data.components) == sorted(FLAVORS)
    mysql = data.components[("metadata_store", "mysql-prod")]
    assert (mysql.flavor, mysql.uuid) == ("mysql", "b0f85415-4f07-4621-af72-9fd27ab33411")
    assert mysql.config == {"database": "mlmd", "host": "db.internal", "password": "hunter2",
                            "port": 3306, "secret": None, "upgrade_migration_enabled": True,
                            "username": "mlmd"}
    assert data.stacks["production"] == {"artifact_store": "s3-prod", "container_registry": "ecr",
                                         "metadata_store": "mysql-prod", "orchestrator": "kfp-prod"}
    assert [(f.type, f.name, f.source) for f in data.flavors.values()] == [
        ("orchestrator", "my-orch", "acme.flavors.MyOrchestrator")]
    assert {n: e.id for n, e in data.users.items()} == {"default": U_DEFAULT, "alice": U_ALICE,
                                                        "bob": U_BOB}
    assert data.members == {"ml-platform": ["alice", "bob"]}
    assert data.projects["churn"].description is None
    assert [(a.role, a.user, a.team, a.project, a.id) for a in data.assignments] == [
        ("admin", "alice", None, None, A_IDS[0]),
        ("viewer", None, "ml-platform", "fraud", A_IDS[1]),
        ("viewer", "bob", None, "churn", A_IDS[2])]
    assert [(r.pipeline_name, r.data["name"]) for r in data.runs] == [
        ("scoring", "scoring-1"), ("training", "training-1"), ("training", "training-2")]


def test_sqlite_store_reads_the_same_as_the_folder_store(tmp_path: Path) -> None:
    folder = read_folder(build_folder_store(tmp_path / "store"))
    sqlite = read_sqlite(build_sqlite_store(tmp_path / "zen.db"))
    assert sqlite == folder


def test_assignment_naming_a_missing_user_is_a_dangling_reference(tmp_path: Path) -> None:
    root = build_folder_store(tmp_path / "store")
    text = STACKS_YAML.replace(f"  user_id: {U_BOB}",
                               "  user_id: 99999999-9b2d-4f6a-8c0e-3b4d5e6f7a89")
    (root / "stacks.yaml").write_text(text)
    with pytest.raises(DanglingReference) as info:
        read_folder(root)
    assert str(info.value) == (
        f"{root}/stacks.yaml: `role_assignments[2]`: `user_id` "
        "99999999-9b2d-4f6a-8c0e-3b4d5e6f7a89 names no user of the store")
    assert info.value.exit_code == 1


def test_sqlite_without_the_documented_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE zenstack (name VARCHAR PRIMARY KEY)")
    conn.close()
    with pytest.raises(SourceError) as info:
        read_sqlite(path)
    assert str(info.value) == (
        f"{path} is not a ZenML SQLite store: it has no table pipelineruntable, projecttable, "
        "roleassignmenttable, roletable, teamassignmenttable, teamtable, usertable, "
        "zenflavor, zenstackcomponent, zenstackdefinition")
    assert info.value.exit_code == 2



@pytest.mark.parametrize(("value", "portable"), [
    (f"{LOCAL}/metadata.db", "~/.config/gitstore/local_stores/"
                             "5a5e0d8c-1f39-4bd3-a1a7-7e2a0c6f3e11/metadata.db"),
    ("C:\\Users\\u\\AppData\\Local\\zenml\\local_stores\\abc\\metadata.db",
     "~/.config/gitstore/local_stores/abc/metadata.db"),
    ("/root/.config/gitstore/local_stores/abc", "~/.config/gitstore/local_stores/abc"),
    ("s3://bucket/zenml/local_stores/abc", None),
    ("relative/zenml/local_stores/abc", None),
])
def test_portable_local_store_paths(value: str, portable: str | None) -> None:
    from gitstore.migrate.portable import portable_path

    assert portable_path(value) == portable


def test_sqlite_table_without_a_documented_column_is_refused(tmp_path: Path) -> None:
    path = build_sqlite_store(tmp_path / "zen.db")
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE zenflavor RENAME COLUMN source TO src")
    with pytest.raises(SourceError) as info:
        read_sqlite(path)
    assert str(info.value) == (f"{path} is not a ZenML SQLite store: table zenflavor has no "
                               "column source")

"""Import moves secret *values* out of the repository, never fields that hold a secret's name."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import run_cli, write_files
from test_migrate_stores import COMPONENT_FILES, STACKS_YAML, isolated

NAMED = {
    **COMPONENT_FILES,
    "metadata_stores/mysql-prod.yaml": COMPONENT_FILES["metadata_stores/mysql-prod.yaml"].replace(
        "secret: null", "secret: mlmd-credentials"),
    "artifact_stores/s3-prod.yaml": COMPONENT_FILES["artifact_stores/s3-prod.yaml"].replace(
        "authentication_secret: null", "authentication_secret: aws-credentials"),
    "container_registries/ecr.yaml": COMPONENT_FILES["container_registries/ecr.yaml"].replace(
        "authentication_secret: null", "authentication_secret: ecr-credentials"),
}


def config_of(root: Path, rel: str) -> dict[str, object]:
    return dict(yaml.safe_load((root / rel).read_text())["config"])


def test_import_zenml_keeps_secret_names_and_moves_secret_values(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with isolated(tmp_path_factory.mktemp("home")):
        write_files(tmp_path / "store", {"stacks.yaml": STACKS_YAML, **NAMED})
        result = run_cli("import", "zenml", str(tmp_path / "store"), str(tmp_path / "dest"))
        assert result.code == 0, result
        dest = tmp_path / "dest"
        mysql = config_of(dest, "components/metadata_store/mysql-prod.yaml")
        assert (mysql["secret"], mysql["password"]) == ("mlmd-credentials",
                                                        "{{ mysql-prod.password }}")
        s3 = config_of(dest, "components/artifact_store/s3-prod.yaml")
        assert (s3["authentication_secret"], s3["key"], s3["secret"]) == (
            "aws-credentials", "{{ s3-prod.key }}", "{{ s3-prod.secret }}")
        ecr = config_of(dest, "components/container_registry/ecr.yaml")
        assert ecr["authentication_secret"] == "ecr-credentials"
        moved = yaml.safe_load((tmp_path / "dest.secrets.yaml").read_text())
        assert moved["mysql-prod"] == {"password": "hunter2"}
        assert moved["s3-prod"] == {"key": "AKIAEXAMPLE", "secret": "s3cr3t-value"}
        assert "ecr" not in moved
        assert run_cli("validate", "--strict", str(dest)).code == 0


def test_import_zenml_stack_keeps_a_seldon_secret_name(tmp_path: Path) -> None:
    assert run_cli("init", str(tmp_path / "repo")).code == 0
    (tmp_path / "serving.yaml").write_text(
        "components:\n"
        "  model_deployer:\n    flavor: seldon\n    name: seldon-prod\n"
        "    kubernetes_namespace: serving\n    secret: seldon-s3-credentials\n"
        "  orchestrator:\n    flavor: local\n    name: local-orch\n"
        "  artifact_store:\n    flavor: local\n    name: local-store\n    path: /tmp/art\n"
        "stack_name: serving\nzenml_version: 0.10.0\n")
    result = run_cli("-C", str(tmp_path / "repo"), "import", "zenml-stack", "../serving.yaml")
    assert result.code == 0, result
    config = config_of(tmp_path / "repo", "components/model_deployer/seldon-prod.yaml")
    assert config["secret"] == "seldon-s3-credentials"
    assert not (tmp_path / "repo.secrets.yaml").exists()

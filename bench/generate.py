"""Deterministic generator of large, realistic configuration repositories.

``generate(root, files=10_000, seed=0)`` writes a committed git repository of
about ``files`` entity files: users, teams, projects, roles with assignments,
custom flavors with config schemas, components of every type (built-in and
custom flavors, secret references) and stacks, in varied YAML style (block
and flow collections, plain and quoted scalars, comments). ``inject`` adds one
file (or file pair) breaking each named rule, so benchmarks and tests can
measure and compare runs that report problems.

Generated repositories hold what real ones do (``realistic=True``, the
default): users without an email, a user holding one role
directly, through a team and per project, teams in several roles, values YAML
1.1 reads differently from YAML 1.2 (``on``, ``no``, ``0755``, ``1e3``,
``2024-01-01``) in component configs, fields that hold a secret's *name*
(``authentication_secret``, mysql's ``secret``) beside ``{{ secret.key }}``
references, and a default stack built of such components. ``generate`` can
place the configuration in a subfolder of the git repository
(``subdir``) and record pipeline runs against the default stack (``runs``).

Run as a script: ``python bench/generate.py OUT --files 10000 [--inject GS203 ...]``.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after site-packages: the installed gitstore wins

from gitstore.checks.integrity import SECRET_NAME  # noqa: E402
from gitstore.plumbing.layout import COMPONENT_TYPES  # noqa: E402
from gitstore.resources import builtin_flavors  # noqa: E402

WORDS = ("alpha", "beta", "gamma", "delta", "kappa", "lambda", "sigma", "omega", "nova", "atlas",
         "orion", "vega", "lyra", "draco", "hydra", "phoenix", "quartz", "ember", "cobalt",
         "falcon")
ENVS = ("prod", "staging", "dev", "qa", "sandbox", "eu", "us", "apac")
OPERATIONS = ("stack", "stack_component", "flavor", "user", "team", "role", "project",
              "pipeline_run")
PERMISSIONS = ("create", "read", "update", "delete")
SHARES = {"user": 0.25, "team": 0.03, "project": 0.03, "role": 0.02, "flavor": 0.02,
          "component": 0.45}  # the rest are stacks


@dataclass
class Generated:
    """What a generated repository holds (names by kind), for tests that mutate it."""

    root: Path
    files: dict[str, str] = field(default_factory=dict)  # path -> text (or bytes for odd files)
    users: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    flavors: list[tuple[str, str]] = field(default_factory=list)  # (type, name)
    components: list[tuple[str, str]] = field(default_factory=list)  # (type, name)
    stacks: list[str] = field(default_factory=list)
    default_stack: str = ""
    subdir: str = ""  # the configuration's folder inside the git repository ("" = its root)
    runs: list[str] = field(default_factory=list)  # names of the runs recorded on the runs branch
    # path -> {config key: the value every YAML 1.2 reader must see} for the values that
    # YAML 1.1 reads differently
    tricky: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def config_root(self) -> Path:
        return self.root / self.subdir if self.subdir else self.root


class Plain(str):
    """A scalar written exactly as given, unquoted (``on``, ``0755``, ``1e3``)."""


class _Writer:
    """Renders mappings in one of several YAML styles, chosen by the seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def scalar(self, value: Any) -> str:
        if isinstance(value, Plain):
            return str(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return self.rng.choice(("null", "~"))
        if isinstance(value, (int, float)):
            return str(value)
        text = str(value)
        style = self.rng.random()
        plain_ok = text and text[0].isalpha() and ": " not in text and "#" not in text \
            and text not in ("yes", "no", "on", "off", "true", "false", "null")
        if "{" in text or not plain_ok or style < 0.2:
            return json.dumps(text)
        if style < 0.35:
            return "'" + text.replace("'", "''") + "'"
        return text

    def flow(self, value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k}: {self.flow(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow(v) for v in value) + "]"
        text = self.scalar(value)
        return json.dumps(value) if text and text[0] not in "\"'" and "," in text else text

    def block(self, value: dict[str, Any], indent: int = 0) -> list[str]:
        pad = " " * indent
        lines: list[str] = []
        for key, item in value.items():
            if isinstance(item, dict) and item:
                if self.rng.random() < 0.25 and len(item) <= 4:
                    lines.append(f"{pad}{key}: {self.flow(item)}")
                else:
                    lines.append(f"{pad}{key}:")
                    lines.extend(self.block(item, indent + 2))
            elif isinstance(item, list) and item:
                if self.rng.random() < 0.3:
                    lines.append(f"{pad}{key}: {self.flow(item)}")
                else:
                    lines.append(f"{pad}{key}:")
                    dash = pad if self.rng.random() < 0.5 else pad + "  "
                    for element in item:
                        if isinstance(element, dict):
                            first, *rest = self.block(element, len(dash) + 2)
                            lines.append(f"{dash}- {first.lstrip()}")
                            lines.extend(rest)
                        else:
                            lines.append(f"{dash}- {self.scalar(element)}")
            elif isinstance(item, dict):
                lines.append(f"{pad}{key}: {{}}")
            elif isinstance(item, list):
                lines.append(f"{pad}{key}: []")
            else:
                comment = "  # " + self.rng.choice(WORDS) if self.rng.random() < 0.08 else ""
                lines.append(f"{pad}{key}: {self.scalar(item)}{comment}")
        return lines

    def document(self, value: dict[str, Any], title: str) -> str:
        lines = []
        if self.rng.random() < 0.5:
            lines.append(f"# {title}")
        if self.rng.random() < 0.05:
            return "\n".join(lines + [self.flow(value)]) + "\n"
        lines.extend(self.block(value))
        return "\n".join(lines) + "\n"


def _name(rng: random.Random, prefix: str, index: int) -> str:
    return f"{prefix}-{rng.choice(WORDS)}-{rng.choice(ENVS)}-{index}"


def _counts(files: int) -> dict[str, int]:
    counts = {kind: max(2, int(files * share)) for kind, share in SHARES.items()}
    counts["stack"] = max(2, files - 1 - sum(counts.values()))
    return counts


def _field_value(rng: random.Random, annotation: str, name: str, secret: bool) -> Any:
    if secret:
        return "{{ " + f"{rng.choice(('vault', 'aws_sm', 'gcp_sm'))}.{name}" + " }}"
    bare = annotation.replace("Optional[", "").rstrip("]")
    if bare == "int":
        return rng.randint(1, 65535)
    if bare == "float":
        return round(rng.uniform(0, 100), 2)
    if bare == "bool":
        return rng.random() < 0.5
    if bare.startswith("Dict"):
        return {"team": rng.choice(WORDS), "env": rng.choice(ENVS)}
    if bare.startswith("List"):
        return [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
    if "path" in name or "uri" in name:
        return f"s3://{rng.choice(WORDS)}-bucket/{rng.choice(ENVS)}"
    if "host" in name:
        return f"{rng.choice(WORDS)}.example.com:{rng.randint(1000, 9999)}"
    return f"{rng.choice(WORDS)}-{rng.randint(1, 999)}"


def _custom_schema(rng: random.Random) -> dict[str, Any]:
    props: dict[str, Any] = {
        "endpoint": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 1},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "api_token": {"type": "string", "writeOnly": True},
    }
    if rng.random() < 0.5:
        props["mode"] = {"enum": ["batch", "stream"]}
    return {"type": "object", "additionalProperties": False, "properties": props,
            "required": ["endpoint"]}


def _custom_config(rng: random.Random, schema: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {"endpoint": f"https://{rng.choice(WORDS)}.example.com",
                              "replicas": rng.randint(1, 8)}
    if rng.random() < 0.5:
        config["labels"] = {"env": rng.choice(ENVS)}
    if rng.random() < 0.6:
        config["api_token"] = "{{ vault." + rng.choice(WORDS) + "_token }}"
    if "mode" in schema["properties"] and rng.random() < 0.5:
        config["mode"] = rng.choice(["batch", "stream"])
    return config


def build_files(files: int = 1000, seed: int = 0, realistic: bool = True) -> Generated:
    """The files of a valid repository of about ``files`` entities (nothing is written)."""
    rng = random.Random(seed)
    out = _Writer(rng)
    gen = Generated(Path())
    counts = _counts(files)
    gen.users = [_name(rng, "user", i) for i in range(counts["user"])]
    gen.projects = [_name(rng, "project", i) for i in range(counts["project"])]
    gen.teams = [_name(rng, "team", i) for i in range(counts["team"])]
    gen.roles = [_name(rng, "role", i) for i in range(counts["role"])]
    extra = random.Random(f"realistic-{seed}")
    for i, user in enumerate(gen.users):
        body: dict[str, Any] = {"email": f"{user}@example.com"}
        if i % 3 == 0:
            body["accounts"] = {"github.com": user.replace("-", "_")}
        if realistic and i % 7 == 3:
            del body["email"]  # a service account, or a user who never gave one
        gen.files[f"users/{user}.yaml"] = (out.document(body, f"user {user}") if body
                                           else f"# user {user}, no email\n{{}}\n")
    for project in gen.projects:
        gen.files[f"projects/{project}.yaml"] = out.document(
            {"description": f"{project.replace('-', ' ')} models"}, "project")
    members_of: dict[str, list[str]] = {}
    for team in gen.teams:
        members = rng.sample(gen.users, min(len(gen.users), rng.randint(1, 12)))
        members_of[team] = members
        gen.files[f"teams/{team}.yaml"] = out.document({"members": members}, f"team {team}")
    for role in gen.roles:
        ops = rng.sample(OPERATIONS, rng.randint(1, 4))
        perms = {op: sorted(rng.sample(PERMISSIONS, rng.randint(1, 4))) for op in ops}
        assignments = []
        for _ in range(rng.randint(1, 6)):
            who = ({"user": rng.choice(gen.users)} if rng.random() < 0.6
                   else {"team": rng.choice(gen.teams)})
            if rng.random() < 0.5:
                who["project"] = rng.choice(gen.projects)
            assignments.append(who)
        if realistic:
            assignments.extend(_overlapping_grants(extra, gen, members_of))
        gen.files[f"roles/{role}.yaml"] = out.document(
            {"permissions": perms, "assignments": assignments}, f"role {role}")
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for i in range(counts["flavor"]):
        type_ = COMPONENT_TYPES[i % len(COMPONENT_TYPES)]
        name = f"custom-{rng.choice(WORDS)}-{i}"
        schema = _custom_schema(rng)
        if realistic:
            schema["properties"].update(TRICKY_PROPERTIES)
        schemas[(type_, name)] = schema
        gen.flavors.append((type_, name))
        gen.files[f"flavors/{type_}/{name}.yaml"] = out.document(
            {"source": f"acme_flavors.{type_}.Flavor{i}", "integration": None,
             "config_schema": schema},
            f"custom {type_} flavor")
    builtin = builtin_flavors()
    by_type: dict[str, list[str]] = {t: [] for t in COMPONENT_TYPES}
    for i in range(counts["component"]):
        type_ = COMPONENT_TYPES[i % len(COMPONENT_TYPES)]
        name = _name(rng, type_.split("_")[0], i)
        customs = [f for t, f in gen.flavors if t == type_]
        if customs and rng.random() < 0.15:
            flavor = rng.choice(customs)
            config = _custom_config(rng, schemas[(type_, flavor)])
            if realistic:
                config.update(_tricky(extra, TRICKY_CUSTOM, gen, f"components/{type_}/{name}.yaml"))
        else:
            flavor = rng.choice(sorted(builtin[type_]))
            spec = builtin[type_][flavor]
            secret = set(spec.get("secret_fields", ()))
            fields = sorted(spec["fields"].items())
            chosen = rng.sample(fields, min(len(fields), rng.randint(0, 5)))
            config = {k: _field_value(rng, t, k, k in secret or bool(SECRET_NAME.search(k)))
                      for k, t in chosen}
            if realistic:
                config.update(_realistic_builtin(extra, gen, f"components/{type_}/{name}.yaml",
                                                 spec, chosen))
        body = ({"flavor": flavor, "config": config} if config or rng.random() < 0.5
                else {"flavor": flavor})
        gen.components.append((type_, name))
        by_type[type_].append(name)
        gen.files[f"components/{type_}/{name}.yaml"] = out.document(body, f"{type_} {name}")
    for i in range(counts["stack"]):
        name = _name(rng, "stack", i)
        components = {"orchestrator": rng.choice(by_type["orchestrator"]),
                      "artifact_store": rng.choice(by_type["artifact_store"])}
        for type_ in rng.sample(COMPONENT_TYPES, rng.randint(0, 4)):
            components[type_] = rng.choice(by_type[type_])
        body = {"description": f"{name} stack"} if rng.random() < 0.4 else {}
        body["components"] = components
        gen.stacks.append(name)
        gen.files[f"stacks/{name}.yaml"] = out.document(body, f"stack {name}")
    gen.default_stack = gen.stacks[0]
    if realistic:
        gen.default_stack = _default_stack(extra, gen, out, schemas)
    gen.files["gitstore.yaml"] = out.document(
        {"format": 1, "default_stack": gen.default_stack,
         "required_components": ["orchestrator", "artifact_store"]}, "repository settings")
    return gen


# -- what real repositories hold --------------------------------------------------------------

# custom flavor fields whose values YAML 1.1 reads differently: key -> (schema, plain text,
# the value a YAML 1.2 reader sees)
TRICKY_CUSTOM: dict[str, tuple[dict[str, Any], str, Any]] = {
    "switch": ({"type": "string"}, "on", "on"),
    "answer": ({"type": "string"}, "no", "no"),
    "mode_bits": ({"type": "integer"}, "0755", 755),
    "scale": ({"type": "number"}, "1e3", 1000.0),
    "since": ({"type": "string"}, "2024-01-01", "2024-01-01"),
}
TRICKY_PROPERTIES = {key: spec for key, (spec, _, _) in TRICKY_CUSTOM.items()}
# text of a str field's value -> what YAML 1.2 reads (a string, whatever YAML 1.1 says)
TRICKY_STRINGS = ("on", "off", "no", "yes", "y", "2024-01-01", "1_000")
TRICKY_INTS = {"0755": 755, "0644": 644, "010": 10}


def _tricky(rng: random.Random, table: dict[str, tuple[dict[str, Any], str, Any]],
            gen: Generated, path: str) -> dict[str, Any]:
    keys = rng.sample(sorted(table), rng.randint(1, len(table)))
    gen.tricky.setdefault(path, {}).update({k: table[k][2] for k in keys})
    return {k: Plain(table[k][1]) for k in keys}


def _realistic_builtin(rng: random.Random, gen: Generated, path: str, spec: dict[str, Any],
                       chosen: list[tuple[str, str]]) -> dict[str, Any]:
    """Values of a built-in flavor's fields as people write them: a secret's name in the fields
    that hold one, and now and then a str or int field whose plain value YAML 1.1 misreads."""
    config: dict[str, Any] = {}
    secret = set(spec.get("secret_fields", ()))
    for key in spec["fields"]:
        if key not in secret and SECRET_NAME.search(key) or key == "authentication_secret":
            config[key] = f"{rng.choice(WORDS)}-{rng.choice(ENVS)}-credentials"  # a name
    for key, annotation in chosen:
        if key in secret or key in config or rng.random() < 0.5:
            continue
        bare = annotation.replace("Optional[", "").rstrip("]")
        if bare == "str":
            text = rng.choice(TRICKY_STRINGS)
            config[key] = Plain(text)
            gen.tricky.setdefault(path, {})[key] = text
        elif bare == "int":
            text = rng.choice(sorted(TRICKY_INTS))
            config[key] = Plain(text)
            gen.tricky.setdefault(path, {})[key] = TRICKY_INTS[text]
    return config


def _overlapping_grants(rng: random.Random, gen: Generated,
                        members_of: dict[str, list[str]]) -> list[dict[str, str]]:
    """One user holding the role directly, through a team and per project; and the first two
    teams in many roles."""
    grants: list[dict[str, str]] = []
    team = rng.choice(gen.teams)
    user = rng.choice(members_of[team])
    project = rng.choice(gen.projects)
    grants += [{"user": user}, {"team": team}, {"user": user, "project": project}]
    if rng.random() < 0.5:
        grants.append({"team": team, "project": project})
    for hub in gen.teams[:2]:
        if hub != team and rng.random() < 0.6:
            grants.append({"team": hub})
    return grants


def _default_stack(rng: random.Random, gen: Generated, out: _Writer,
                   schemas: dict[tuple[str, str], dict[str, Any]]) -> str:
    """A default stack whose components hold secret names, references and values YAML 1.1
    misreads; the stack's name."""
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("orchestrator", "kubeflow"): {
            "kubeflow_hostname": Plain("on"), "kubeflow_pipelines_ui_port": Plain("0755"),
            "synchronous": True, "kubernetes_context": Plain("no")},
        ("artifact_store", "s3"): {
            "path": "s3://platform-artifacts/main", "authentication_secret": "s3-platform-creds",
            "key": "{{ aws_sm.s3_key }}", "secret": "{{ aws_sm.s3_secret }}"},
        ("metadata_store", "mysql"): {
            "host": Plain("no"), "port": Plain("03306"), "database": Plain("2024-01-01"),
            "secret": "mysql-platform", "password": "{{ vault.mysql_password }}"},
    }
    expected = {"kubeflow_hostname": "on", "kubeflow_pipelines_ui_port": 755,
                "kubernetes_context": "no", "host": "no", "port": 3306, "database": "2024-01-01"}
    components: dict[str, str] = {}
    for (type_, flavor), config in bodies.items():
        name = f"platform-{type_.split('_')[0]}"
        path = f"components/{type_}/{name}.yaml"
        gen.tricky[path] = {k: v for k, v in expected.items() if k in config}
        gen.files[path] = out.document({"flavor": flavor, "config": config}, f"{type_} {name}")
        gen.components.append((type_, name))
        components[type_] = name
    if gen.flavors:  # one component of a custom flavor, with every misread value
        type_, flavor = gen.flavors[0]
        if type_ not in components:
            name = f"platform-custom-{type_.split('_')[0]}"
            path = f"components/{type_}/{name}.yaml"
            config = _custom_config(rng, schemas[(type_, flavor)])
            config.pop("api_token", None)
            config["api_token"] = "{{ vault.platform_token }}"
            config.update({k: Plain(text) for k, (_, text, _) in TRICKY_CUSTOM.items()})
            gen.tricky[path] = {k: value for k, (_, _, value) in TRICKY_CUSTOM.items()}
            gen.files[path] = out.document({"flavor": flavor, "config": config},
                                           f"{type_} {name}")
            gen.components.append((type_, name))
            components[type_] = name
    name = "platform"
    for _ in range(len(components) + 1):  # as many ordinary stacks fewer: ``files`` holds
        if len(gen.stacks) > 2:
            del gen.files[f"stacks/{gen.stacks.pop()}.yaml"]
    gen.stacks.insert(0, name)
    gen.files[f"stacks/{name}.yaml"] = out.document(
        {"description": "the stack pipelines run on unless they say otherwise",
         "components": components}, f"stack {name}")
    return name


# -- injected errors: rule code -> files that break it ---------------------------------------

def _inject_table(gen: Generated) -> dict[str, Callable[[], dict[str, str | bytes]]]:
    user, project = gen.users[0], gen.projects[0]
    orch = next(n for t, n in gen.components if t == "orchestrator")
    ftype, fname = gen.flavors[0]
    return {
        "GS001": lambda: {"users/bad-syntax.yaml": "email: [unclosed\n"},
        "GS002": lambda: {"users/dup-key.yaml": "email: a@example.com\nemail: b@example.com\n"},
        "GS003": lambda: {"teams/anchored.yaml": f"members: &m [{user}]\n"},
        "GS004": lambda: {"projects/tagged.yaml":
                          "description: !!python/object/apply:os.system [ls]\n"},
        "GS005": lambda: {"projects/two-docs.yaml": "description: a\n---\ndescription: b\n"},
        "GS006": lambda: {"projects/listed.yaml": "- a\n- b\n"},
        "GS007": lambda: {"projects/latin1.yaml": b"description: caf\xe9\n"},
        "GS008": lambda: {"projects/conflicted.yaml":
                          "<<<<<<< HEAD\ndescription: a\n=======\ndescription: b\n>>>>>>> topic\n"},
        "GS009": lambda: {"projects/deep.yaml": "description: " + "[" * 70 + "]" * 70 + "\n"},
        "GS010": lambda: {"projects/huge.yaml": "description: " + "x" * (1024 * 1024 + 10) + "\n"},
        "GS020": lambda: {"users/old-style.yml": "email: o@example.com\n"},
        "GS021": lambda: {"stacks/nested/deep.yaml": "components: {}\n"},
        "GS022": lambda: {"components/orchestrater/typo.yaml": "flavor: local\n"},
        "GS023": lambda: {"users/-dash-first.yaml": "email: d@example.com\n"},
        "GS024": lambda: {f"users/{user.upper()}.yaml": "email: u@example.com\n"},
        "GS101": lambda: {"users/bad-email.yaml": "email: not-an-email\n"},
        "GS102": lambda: {"users/extra-key.yaml": "email: e@example.com\nemial: x\n"},
        "GS103": lambda: {"components/orchestrator/no-flavor.yaml": "config: {}\n"},
        "GS201": lambda: {"components/orchestrator/bad-flavor.yaml": "flavor: kubeflw\n"},
        "GS202": lambda: {"components/orchestrator/bad-config.yaml":
                          "flavor: kubeflow\nconfig:\n  synchronous: maybe\n"},
        "GS203": lambda: {"stacks/broken-ref.yaml":
                          f"components:\n  orchestrator: {orch}x\n  artifact_store: nowhere\n"},
        "GS204": lambda: {"stacks/incomplete.yaml": f"components:\n  orchestrator: {orch}\n"},
        "GS205": lambda: {"teams/ghosts.yaml": f"members: [{user}, ghost-user]\n"},
        "GS206": lambda: {"roles/orphan.yaml": "assignments:\n  - team: no-such-team\n"},
        "GS207": lambda: {"roles/lost-project.yaml":
                          f"assignments:\n  - user: {user}\n    project: {project}-gone\n"},
        "GS209": lambda: {"projects/twin-a.yaml": "id: 0f0f0f0f-0000-4000-8000-000000000001\n",
                          "projects/twin-b.yaml": "id: 0f0f0f0f-0000-4000-8000-000000000001\n"},
        "GS210": lambda: {"flavors/orchestrator/kubeflow.yaml": "source: acme.KubeflowFlavor\n"},
        "GS211": lambda: {f"flavors/{ftype}/broken-schema.yaml":
                          "source: acme.Broken\nconfig_schema:\n  type: 12\n"},
        "GS301": _plain_secret,
        "GS302": lambda: {f"components/{ftype}/looks-secret.yaml":
                          f"flavor: {fname}\nconfig:\n  endpoint: https://x.example.com\n"
                          "  labels: {owner: me}\n  replicas: 2\n  extra_password: hunter2\n"},
        "GS208": lambda: {"gitstore.yaml": "format: 1\ndefault_stack: no-such-stack\n"
                          "required_components: [orchestrator, artifact_store]\n"},
        "GS011": lambda: {},  # a symbolic link, made on disk below
    }


def _plain_secret() -> dict[str, str | bytes]:
    """A component of the first built-in flavor with a secret field, holding it in plain text."""
    for type_, flavors in builtin_flavors().items():
        for flavor, spec in sorted(flavors.items()):
            if spec.get("secret_fields"):
                field_name = spec["secret_fields"][0]
                return {f"components/{type_}/plain-secret.yaml":
                        f"flavor: {flavor}\nconfig:\n  {field_name}: plain-text-value\n"}
    raise LookupError("no built-in flavor declares a secret field")


INJECTABLE = ("GS001", "GS002", "GS003", "GS004", "GS005", "GS006", "GS007", "GS008", "GS009",
              "GS010", "GS011", "GS020", "GS021", "GS022", "GS023", "GS024", "GS101", "GS102",
              "GS103", "GS201", "GS202", "GS203", "GS204", "GS205", "GS206", "GS207", "GS208",
              "GS209", "GS210", "GS211", "GS301", "GS302")


def inject(gen: Generated, rules: Sequence[str]) -> dict[str, str | bytes]:
    """Extra (or replaced) files that break each rule in ``rules``."""
    table = _inject_table(gen)
    extra: dict[str, str | bytes] = {}
    for rule in rules:
        if rule not in table:
            raise ValueError(f"cannot inject {rule}; injectable: {', '.join(INJECTABLE)}")
        extra.update(table[rule]())
    return extra


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    made: set[Path] = set()
    for rel, body in files.items():
        dest = root / rel
        if dest.parent not in made:
            dest.parent.mkdir(parents=True, exist_ok=True)
            made.add(dest.parent)
        if isinstance(body, bytes):
            dest.write_bytes(body)
        else:
            dest.write_text(body, encoding="utf-8")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def generate(root: Path, files: int = 1000, seed: int = 0, rules: Sequence[str] = (),
             commit: bool = True, realistic: bool = True, subdir: str = "",
             runs: int = 0) -> Generated:
    """Write a generated repository at ``root`` (a new directory) and commit it.

    ``subdir`` places the configuration in that folder of the git repository
    (with a README beside it); ``runs`` records that many pipeline runs of the
    default stack on the runs branch (needs ``commit``).
    """
    gen = build_files(files, seed, realistic)
    gen.root, gen.subdir = root, subdir
    gen.files.update(inject(gen, rules))
    root.mkdir(parents=True, exist_ok=False)
    config_root = gen.config_root
    config_root.mkdir(parents=True, exist_ok=True)
    write_tree(config_root, gen.files)
    if subdir:
        (root / "README.md").write_text("The platform's configuration is in "
                                        f"[{subdir}/]({subdir}/).\n", encoding="utf-8")
    if "GS011" in rules:
        (config_root / "users" / "linked.yaml").symlink_to(f"{gen.users[0]}.yaml")
    if commit:
        env_args = ("-c", "user.name=gitstore bench", "-c", "user.email=bench@example.com",
                    "-c", "commit.gpgsign=false")
        _git(root, "init", "-q", "--initial-branch=main")
        _git(root, "add", "-A")
        _git(root, *env_args, "commit", "-q", "--no-verify", "-m", f"generated: {files} files")
        record_runs(gen, runs, seed)
    return gen


def record_runs(gen: Generated, count: int, seed: int = 0) -> None:
    """Record ``count`` runs of the default stack (by users, in projects, some naming the ZenML
    version they ran on), pinned to HEAD."""
    from gitstore.runs.record import record_named_run

    rng = random.Random(f"runs-{seed}")
    for n in range(count):
        name = f"run-{n}"
        record_named_run(gen.config_root, rng.choice(("training", "scoring", "etl")), name,
                         gen.default_stack, project=rng.choice([None, *gen.projects]),
                         config={"epochs": rng.randint(1, 9), "switch": "on"},
                         user=rng.choice(gen.users),
                         zenml_version=rng.choice((None, "0.10.0")))
        gen.runs.append(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to create")
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inject", nargs="*", default=[], metavar="RULE",
                        help="rules to break, e.g. GS203 GS301 (or ALL)")
    parser.add_argument("--subdir", default="", help="place the configuration in this folder")
    parser.add_argument("--runs", type=int, default=0, help="pipeline runs to record")
    parser.add_argument("--plain", action="store_true",
                        help="without what real repositories hold (see the module's docstring)")
    args = parser.parse_args(argv)
    rules = list(INJECTABLE) if args.inject == ["ALL"] else args.inject
    gen = generate(args.out, args.files, args.seed, rules, realistic=not args.plain,
                   subdir=args.subdir, runs=args.runs)
    print(f"{args.out}: {len(gen.files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())


def settled(repo: Path, limit: float = 600.0) -> Path:
    """``repo`` packed and left alone: the background ``git gc`` its commits may have started
    has ended, no other will start (``gc.auto`` 0), and its objects are packed, so that it
    can be copied while nothing moves its objects."""
    import subprocess
    import time

    subprocess.run(["git", "config", "gc.auto", "0"], cwd=repo, check=True)
    deadline = time.monotonic() + limit
    while (repo / ".git" / "gc.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    subprocess.run(["git", "gc", "--quiet"], cwd=repo, check=True)
    return repo

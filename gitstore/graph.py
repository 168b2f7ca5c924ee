"""Pictures of a configuration: stacks, their components and flavors, and who holds which role.

:func:`build` turns a snapshot into a small graph value; :func:`to_mermaid`
and :func:`to_dot` draw it. References to entities that do not exist are
drawn too (dashed), so a picture of a broken repository shows the break.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gitstore.errors import UsageError
from gitstore.plumbing.snapshot import Snapshot

SHAPES_MERMAID = {"stack": ('[["', '"]]'), "component": ('("', '")'), "flavor": ('{{"', '"}}'),
                  "role": ('[/"', '"/]'), "team": ('(["', '"])'), "user": ('["', '"]'),
                  "project": ('[("', '")]')}
SHAPES_DOT = {"stack": "box3d", "component": "box", "flavor": "hexagon", "role": "parallelogram",
              "team": "ellipse", "user": "oval", "project": "cylinder"}


@dataclass(frozen=True)
class Node:
    key: str  # "<kind>:<name>" or "<kind>:<type>/<name>"
    kind: str
    label: str
    missing: bool = False
    highlighted: bool = False


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, label)

    def add(self, kind: str, name: str, label: str, exists: bool, highlight: set[str]) -> str:
        key = f"{kind}:{name}"
        if key not in self.nodes:
            self.nodes[key] = Node(key, kind, label, not exists, key in highlight)
        return key

    def link(self, source: str, target: str, label: str = "") -> None:
        if (source, target, label) not in self.edges:
            self.edges.append((source, target, label))


def build(snap: Snapshot, stacks: Iterable[str] = (), people: bool | None = None,
          highlight: Iterable[str] = ()) -> Graph:
    """The graph of the named stacks (all when none), plus teams, roles and assignees
    (by default only when drawing every stack). ``highlight`` holds node keys to mark."""
    wanted = list(stacks)
    unknown = [s for s in wanted if not snap.exists("stack", s)]
    if unknown:
        from gitstore.problems import did_you_mean

        hint = did_you_mean(unknown[0], snap.names("stack"))
        raise UsageError(f"no stack named `{unknown[0]}`" + (f" ({hint})" if hint else ""))
    marks = set(highlight)
    graph = Graph()
    for name in wanted or snap.names("stack"):
        _stack(graph, snap, name, marks)
    if people if people is not None else not wanted:
        _people(graph, snap, marks)
    return graph


def _stack(graph: Graph, snap: Snapshot, name: str, marks: set[str]) -> None:
    from gitstore.diff.consequences import stack_components

    stack = graph.add("stack", name, name, True, marks)
    for type_, comp in sorted(stack_components(snap, name).items()):
        exists = snap.exists("component", comp, type_)
        node = graph.add("component", f"{type_}/{comp}", f"{comp}\n{type_}", exists, marks)
        graph.link(stack, node, type_)
        doc = snap.get("component", comp, type_)
        flavor = doc.data.get("flavor") if doc else None
        if isinstance(flavor, str):
            from gitstore import flavors

            known = flavors.is_builtin(type_, flavor) or snap.exists("flavor", flavor, type_)
            custom = "" if flavors.is_builtin(type_, flavor) else " (custom)"
            target = graph.add("flavor", f"{type_}/{flavor}", f"{flavor}{custom}", known, marks)
            graph.link(node, target)


def _people(graph: Graph, snap: Snapshot, marks: set[str]) -> None:
    from gitstore.references import assignment_project, role_assignments, team_members

    for team, members in sorted(team_members(snap.of_kind("team")).items()):
        node = graph.add("team", team, f"team {team}", True, marks)
        for user in members:
            member = graph.add("user", user, user, snap.exists("user", user), marks)
            graph.link(node, member, "member")
    for doc in sorted(snap.of_kind("role"), key=lambda d: d.ref.name):
        role = graph.add("role", doc.ref.name, f"role {doc.ref.name}", True, marks)
        for _, item in role_assignments(doc.data):
            project = assignment_project(item)
            label = f"in {project}" if project is not None else ""
            for kind in ("user", "team"):
                who = item.get(kind)
                if isinstance(who, str):
                    text = who if kind == "user" else f"team {who}"
                    holder = graph.add(kind, who, text, snap.exists(kind, who), marks)
                    graph.link(role, holder, label)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def to_mermaid(graph: Graph) -> str:
    ids = {key: f"n{i}" for i, key in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for key, node in graph.nodes.items():
        left, right = SHAPES_MERMAID[node.kind]
        lines.append(f"  {ids[key]}{left}{_mermaid_text(node.label)}{right}")
    for source, target, label in graph.edges:
        arrow = "-.->" if graph.nodes[target].missing else "-->"
        text = f"|{_mermaid_text(label)}|" if label else ""
        lines.append(f"  {ids[source]} {arrow}{text} {ids[target]}")
    for name, style, pick in (("missing", "stroke:#d33,stroke-dasharray:4", lambda n: n.missing),
                              ("changed", "fill:#fff3b0,stroke:#c90", lambda n: n.highlighted)):
        chosen = [ids[k] for k, n in graph.nodes.items() if pick(n)]
        if chosen:
            lines.append(f"  classDef {name} {style}")
            lines.append(f"  class {','.join(chosen)} {name}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    lines = ["digraph gitstore {", "  rankdir=LR;", "  node [fontname=\"Helvetica\"];"]
    for key, node in graph.nodes.items():
        attrs = [f"label={_dot_text(node.label)}", f"shape={SHAPES_DOT[node.kind]}"]
        styles = (["dashed"] if node.missing else []) + (["filled"] if node.highlighted else [])
        if styles:
            attrs.append(f"style={_dot_text(','.join(styles))}")
        if node.missing:
            attrs.append("color=red")
        if node.highlighted:
            attrs.append('fillcolor="#fff3b0"')
        lines.append(f"  {_dot_text(key)} [{', '.join(attrs)}];")
    for source, target, label in graph.edges:
        extra = f" [label={_dot_text(label)}]" if label else ""
        lines.append(f"  {_dot_text(source)} -> {_dot_text(target)}{extra};")
    lines.append("}")
    return "\n".join(lines) + "\n"


RENDERERS = {"mermaid": to_mermaid, "dot": to_dot}

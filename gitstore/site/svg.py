"""A stack's picture as inline SVG: the stack, its components, their flavors.

The nodes and edges come from :func:`gitstore.graph.build` (the picture
``gitstore graph`` draws); this module only lays them out in three columns
and draws boxes and curves, with every label escaped. Nodes link to their
pages; a missing component or flavor is drawn dashed and red.
"""

from __future__ import annotations

from gitstore.graph import Graph, Node
from gitstore.site.markup import Markup, escape, html
from gitstore.site.model import Catalog

COLUMNS = ("stack", "component", "flavor")
ROW = 50
BOX_H = 38
GAP = 70
PAD = 12
CHAR = 7.4  # average width of a 13px sans-serif character
FILL = {"stack": "#2f5bd3", "component": "#ffffff", "flavor": "#f1ecfb"}
STROKE = {"stack": "#2f5bd3", "component": "#aab3c5", "flavor": "#b9a6e3"}
INK = {"stack": "#ffffff", "component": "#1d2330", "flavor": "#43297f"}


def _href(cat: Catalog, node: Node) -> str | None:
    kind, _, rest = node.key.partition(":")
    type_, _, name = rest.rpartition("/")
    return cat.pages.get(kind, name, type_ or None)


def _width(node: Node) -> float:
    return max(len(line) for line in node.label.split("\n")) * CHAR + 2 * PAD


def stack_picture(cat: Catalog, graph: Graph) -> Markup:
    columns: dict[str, list[Node]] = {kind: [] for kind in COLUMNS}
    for node in graph.nodes.values():
        columns[node.kind].append(node)
    widths = {k: max((_width(n) for n in nodes), default=0.0) for k, nodes in columns.items()}
    x, xs = 10.0, {}
    for kind in COLUMNS:
        xs[kind] = x
        x += widths[kind] + (GAP if widths[kind] else 0)
    rows = max(len(columns["component"]), 1)
    height = rows * ROW + 10
    ys = _rows(graph, columns, height)
    parts = [_edge(xs, widths, ys, graph.nodes[s], graph.nodes[t]) for s, t, _ in graph.edges]
    parts += [_box(cat, node, xs[node.kind], ys[node.key], widths[node.kind])
              for node in graph.nodes.values()]
    width = max(x - GAP + 10, 200)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height}" '
        f'width="{width:.0f}" height="{height}" role="img" aria-label="stack picture" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" '
        f'font-size="13">{"".join(parts)}</svg>')


def _rows(graph: Graph, columns: dict[str, list[Node]], height: int) -> dict[str, float]:
    ys: dict[str, float] = {}
    for index, node in enumerate(columns["component"]):
        ys[node.key] = 5 + index * ROW + (ROW - BOX_H) / 2
    for node in columns["stack"]:
        ys[node.key] = (height - BOX_H) / 2
    taken: list[float] = []
    for node in columns["flavor"]:
        sources = [ys[s] for s, t, _ in graph.edges if t == node.key and s in ys]
        y = sum(sources) / len(sources) if sources else 5.0
        while any(abs(y - other) < BOX_H + 4 for other in taken):
            y += BOX_H + 6
        taken.append(y)
        ys[node.key] = y
    return ys


def _edge(xs: dict[str, float], widths: dict[str, float], ys: dict[str, float],
          source: Node, target: Node) -> str:
    x1 = xs[source.kind] + widths[source.kind]
    y1 = ys[source.key] + BOX_H / 2
    x2 = xs[target.kind]
    y2 = ys[target.key] + BOX_H / 2
    mid = (x1 + x2) / 2
    dash = ' stroke-dasharray="5 4"' if target.missing else ""
    color = "#d33" if target.missing else "#9aa3b5"
    return (f'<path d="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
            f'fill="none" stroke="{color}" stroke-width="1.4"{dash}/>')


def _box(cat: Catalog, node: Node, x: float, y: float, width: float) -> str:
    lines = node.label.split("\n")
    stroke = "#d33" if node.missing else STROKE[node.kind]
    dash = ' stroke-dasharray="5 4"' if node.missing else ""
    fill = "#fff5f5" if node.missing else FILL[node.kind]
    ink = "#b42318" if node.missing else INK[node.kind]
    radius = 19 if node.kind == "flavor" else 7
    text = html('<text x="{}" y="{}" fill="{}" font-weight="{}">{}</text>', f"{x + PAD:.1f}",
                f"{y + (16 if len(lines) > 1 else 24):.1f}", ink,
                "600" if node.kind == "stack" else "500", lines[0])
    if len(lines) > 1:
        text += html('<text x="{}" y="{}" fill="{}" font-size="11">{}</text>', f"{x + PAD:.1f}",
                     f"{y + 30:.1f}", "#b42318" if node.missing else "#6a7386", lines[1])
    shape = (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BOX_H}" rx="{radius}" '
             f'fill="{fill}" stroke="{stroke}" stroke-width="1.3"{dash}/>')
    title = html("<title>{}</title>", node.label.replace("\n", " · ")
                 + (" (missing)" if node.missing else ""))
    body = f"<g>{title}{shape}{text}</g>"
    href = None if node.missing else _href(cat, node)
    return f'<a href="{escape(href)}">{body}</a>' if href else body

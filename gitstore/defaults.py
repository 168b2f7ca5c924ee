"""The default registrations: what ``gitstore init`` and a new store start with.

The default stack uses paths below the user's home directory (``~``), which
every machine expands for itself, never an absolute path of the machine that
created the repository.
"""

from __future__ import annotations

from gitstore.layout import CONFIG_FILE, derive_id, entity_path

LOCAL_STORES = "~/.config/gitstore/local_stores"

SETTINGS_TEXT = """\
# gitstore repository settings (format version 1).
format: 1
default_stack: default
"""

DEFAULT_COMPONENTS: dict[str, tuple[str, dict[str, object]]] = {
    # type: (flavor, config)
    "orchestrator": ("local", {}),
    "artifact_store": ("local", {"path": f"{LOCAL_STORES}/default"}),
    "metadata_store": ("sqlite", {"uri": f"{LOCAL_STORES}/default/metadata.db",
                                  "upgrade_migration_enabled": True}),
}


def component_text(type_: str, name: str = "default") -> str:
    flavor, config = DEFAULT_COMPONENTS[type_]
    lines = [f"id: {derive_id('component', name, type_)}", f"flavor: {flavor}"]
    if config:
        lines.append("config:")
        for key, value in config.items():
            lines.append(f"  {key}: {'true' if value is True else value}")
    else:
        lines.append("config: {}")
    return "\n".join(lines) + "\n"


def stack_text(name: str = "default") -> str:
    body = "".join(f"  {t}: default\n" for t in DEFAULT_COMPONENTS)
    return (f"id: {derive_id('stack', name)}\n"
            "description: Local stack that runs pipelines on this machine\n"
            f"components:\n{body}")


def user_text(name: str = "default") -> str:
    return f"id: {derive_id('user', name)}\n"


def initial_files() -> dict[str, str]:
    """Repository path -> text of a new configuration repository."""
    files = {CONFIG_FILE: SETTINGS_TEXT}
    for type_ in DEFAULT_COMPONENTS:
        files[entity_path("component", "default", type_)] = component_text(type_)
    files[entity_path("stack", "default")] = stack_text()
    files[entity_path("user", "default")] = user_text()
    return files

"""Plain-text secrets out, references in.

A ZenML store keeps secrets in plain text (a mysql metadata store's
``password``, also inside the base64 configs of recorded runs). On the way
into git every such value is replaced by a reference ``{{ <secret>.<key> }}``
(secret = the component's name, key = the field) and kept in a
:class:`SecretVault`, which the import writes to a file outside the
repository, readable only by its owner.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from gitstore import flavors

_KEY_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_REFERENCE = re.compile(r"^\{\{\s*([A-Za-z0-9_.-]+)\.([A-Za-z0-9_-]+)\s*\}\}$")


class SecretVault:
    """The values taken out of the configuration: secret -> key -> value."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return sum(len(keys) for keys in self.values.values())

    def reference(self, secret: str, key: str, value: Any) -> str:
        """The reference for ``value``; the same secret and key never hold two values."""
        key = _KEY_CHARS.sub("_", key)
        name, n = secret, 1
        while self.values.get(name, {}).get(key, value) != value:
            n += 1
            name = f"{secret}-{n}"
        self.values.setdefault(name, {})[key] = value
        return "{{ " + f"{name}.{key}" + " }}"

    def write(self, path: Path) -> None:
        """Write the values to a new file readable by its owner only (mode 0600)."""
        import yaml

        text = ("# Secret values removed from a configuration repository by `gitstore import`.\n"
                "# Register each as <secret>.<key> in the stack's secrets manager; never commit "
                "this file.\n" + yaml.safe_dump(self.values, sort_keys=True, allow_unicode=True))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)


def load_secret_values(path: Path) -> dict[str, dict[str, Any]]:
    """A secrets file as written by :meth:`SecretVault.write`."""
    from gitstore.migrate.zenml_folder import expect, load_yaml_file

    return dict(expect(load_yaml_file(path) or {}, dict, str(path)))


def is_plain(value: Any) -> bool:
    return value is not None and value != "" and not flavors.is_secret_reference(value)


def looks_secret(key: str) -> bool:
    from gitstore.checks.integrity import SECRET_NAME

    return bool(SECRET_NAME.search(key))


def extract_secrets(type_: str, flavor: str, secret: str, config: dict[str, Any],
                    vault: SecretVault) -> dict[str, Any]:
    """``config`` with every plain-text secret *value* replaced by a reference into ``vault``.

    A built-in flavor's fields say which hold a secret value (``secret_fields`` in
    builtin-flavors.json): those move, and its other declared fields stay whatever
    they are called (mysql's ``secret`` and s3's ``authentication_secret`` hold the
    *name* of a secret). Keys no flavor declares are judged by their name, as
    validation judges them.
    """
    fields: frozenset[str] = frozenset()
    declared: frozenset[str] = frozenset()
    if flavors.is_builtin(type_, flavor):
        fields = flavors.secret_fields(type_, flavor)
        declared = flavors.field_names(type_, flavor)
    return _extract(config, fields, declared, secret, vault)


def _extract(config: dict[str, Any], fields: frozenset[str], declared: frozenset[str],
             secret: str, vault: SecretVault) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            result[key] = _extract(value, frozenset(), frozenset(), secret, vault)
        elif is_plain(value) and _holds_secret_value(key, value, fields, declared):
            result[key] = vault.reference(secret, key, value)
        else:
            result[key] = value
    return result


def _holds_secret_value(key: str, value: Any, fields: frozenset[str],
                        declared: frozenset[str]) -> bool:
    if key in fields:
        return True
    return key not in declared and isinstance(value, str) and looks_secret(key)


def resolve_references(value: Any, values: dict[str, dict[str, Any]]) -> Any:
    """``value`` with every reference found in ``values`` replaced by the secret it names."""
    if isinstance(value, dict):
        return {k: resolve_references(v, values) for k, v in value.items()}
    if isinstance(value, str):
        match = _REFERENCE.match(value)
        if match and match.group(2) in values.get(match.group(1), {}):
            return values[match.group(1)][match.group(2)]
    return value

"""Schema problems in a field that carries a secret name the value's type, never the value."""

from __future__ import annotations

from conftest import run_cli

SETTINGS = "format: 1\n"
FLAVOR = """source: acme.flavors.Vault
config_schema:
  type: object
  properties:
    address: {type: string, pattern: "^https://"}
    unlock_key: {type: string, writeOnly: true, pattern: "^https://"}
    api_token: {type: string, pattern: "^https://"}
"""


def test_a_built_in_secret_field_of_the_wrong_type_is_not_repeated(make_repo):
    root = make_repo({"gitstore.yaml": SETTINGS, "components/metadata_store/db.yaml":
                      "flavor: mysql\nconfig:\n  host: db\n  password: 987654321\n"})
    result = run_cli("validate", cwd=root)
    assert result.code == 1
    assert "987654321" not in result.out
    assert "components/metadata_store/db.yaml:4:13: GS202 `config.password`: expected a string or null, " \
           "not a number" in result.out


def test_custom_secret_fields_hide_their_value_and_others_show_it(make_repo):
    root = make_repo({
        "gitstore.yaml": SETTINGS,
        "flavors/secrets_manager/acme-vault.yaml": FLAVOR,
        "components/secrets_manager/v.yaml": ("flavor: acme-vault\nconfig:\n  address: http://plain\n"
                                              "  unlock_key: s3cr3t-value\n  api_token: t0ken-value\n"),
    })
    result = run_cli("validate", "--format", "json", cwd=root)
    assert result.code == 1
    assert "s3cr3t-value" not in result.out and "t0ken-value" not in result.out
    assert "http://plain" in result.out  # an ordinary field's value helps the reader

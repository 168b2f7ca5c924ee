"""The one walk of role assignments, read by the trust model and by the diff's role grants.

The two read the same entries and differ only in what they make of them: the trust model
grants nothing to a name that is not a user, the diff reports whatever the files say.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trust_repo import TRUST_FILES

from gitstore.diff.consequences import effective_roles
from gitstore.references import assignment_project, role_assignments
from gitstore.trust.enforce import snapshot_at
from gitstore.trust.permissions import Authority


def test_entries_that_are_not_mappings_are_passed_over() -> None:
    data = {"assignments": [{"user": "a"}, "b", 3, {"team": "t", "project": "p"}, {"project": 5}]}
    assert list(role_assignments(data)) == [(0, {"user": "a"}), (3, {"team": "t", "project": "p"}),
                                           (4, {"project": 5})]
    assert [assignment_project(item) for _, item in role_assignments(data)] == [None, "p", None]
    for shape in (None, 5, "user: a", {"user": "a"}):
        assert list(role_assignments({"assignments": shape})) == []


def test_a_malformed_role_grants_nothing_and_a_dangling_name_only_shows_in_the_diff(
        make_repo: Callable[..., Path]) -> None:
    files = dict(TRUST_FILES)
    files["roles/broken.yaml"] = "permissions:\n  stack: [read]\nassignments: 5\n"
    files["roles/reader.yaml"] = "permissions:\n  stack: [read]\nassignments:\n  - user: ghost\n"
    snap = snapshot_at(make_repo(files), "HEAD")
    authority = Authority(snap)
    assert sorted(authority.holders("stack", "read")) == ["alice", "carol"]
    held = effective_roles(snap)
    assert held[("ghost", "reader", None)] == {"direct"}
    assert held[("dave", "runner", "fraud")] == {"direct"}
    assert held[("carol", "stack-editor", None)] == {"team ml-platform"}
    assert not any(role == "broken" for _, role, _ in held)

"""Reading ``git push --porcelain``: pushed, lost a race, refused by the remote, or failed."""

from __future__ import annotations

import pytest

from gitstore.plumbing.vcs import parse_push

TO = "To git://127.0.0.1:9418/config.git\n"


def test_pushed() -> None:
    result = parse_push(0, TO + " \trefs/heads/main:refs/heads/main\tabc..def\nDone\n", "")
    assert (result.status, result.reason, result.remote_messages) == ("ok", "", [])


@pytest.mark.parametrize("summary, reason", [
    ("[rejected] (fetch first)", "fetch first"),
    ("[rejected] (non-fast-forward)", "non-fast-forward"),
    ("[remote rejected] (failed to update ref)", "failed to update ref"),
    ("[remote rejected] (failed to lock)", "failed to lock"),
    ("[remote rejected] (cannot lock ref 'refs/heads/main': is at 1 but expected 2)",
     "cannot lock ref 'refs/heads/main': is at 1 but expected 2"),
])
def test_lost_races_are_retryable_rejections(summary: str, reason: str) -> None:
    result = parse_push(1, TO + f"!\trefs/heads/main:refs/heads/main\t{summary}\nDone\n",
                        "error: failed to push some refs\n")
    assert (result.status, result.reason) == ("rejected", reason)


def test_hook_refusal_keeps_the_hooks_words() -> None:
    stderr = ("remote: stacks/prod.yaml: changes to prod need a review\nremote: \n"
              "remote:   see CONTRIBUTING.md\nerror: failed to push some refs to 'x'\n")
    result = parse_push(1, TO + "!\tabc:refs/heads/main\t[remote rejected] "
                                "(pre-receive hook declined)\nDone\n", stderr)
    assert (result.status, result.reason) == ("remote-rejected", "pre-receive hook declined")
    assert result.remote_messages == ["stacks/prod.yaml: changes to prod need a review",
                                      "see CONTRIBUTING.md"]


def test_failure_without_a_ref_status_is_an_error() -> None:
    stderr = ("fatal: unable to connect to 127.0.0.1:\n"
              "127.0.0.1[0: 127.0.0.1]: errno=Connection refused")
    result = parse_push(128, "", stderr)
    assert (result.status, result.reason, result.stderr) == ("error", "", stderr)

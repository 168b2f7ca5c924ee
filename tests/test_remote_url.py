"""Classifying store URLs: local repositories versus git remotes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import git

from gitstore.errors import UsageError
from gitstore.remote_url import classify_url, is_remote_url, redact


@pytest.mark.parametrize("url, kind", [
    ("https://github.com/acme/config.git", "https"),
    ("http://git.internal:8080/config.git", "http"),
    ("ssh://git@github.com/acme/config.git", "ssh"),
    ("ssh://[::1]:2222/srv/config.git", "ssh"),
    ("git+ssh://host/config.git", "ssh"),
    ("git://127.0.0.1:9418/config.git", "git"),
    ("git@github.com:acme/config.git", "scp"),
    ("host.example.com:config.git", "scp"),
])
def test_network_urls_are_remote(url: str, kind: str) -> None:
    parsed = classify_url(url)
    assert (parsed.kind, parsed.is_remote, parsed.path) == (kind, True, None)
    assert is_remote_url(url)


def test_bare_repository_is_remote_by_file_url_or_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = tmp_path / "shared.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    for url in (f"file://{bare}", str(bare)):
        parsed = classify_url(url)
        assert (parsed.kind, parsed.path, parsed.is_remote) == ("file", bare, True)
    monkeypatch.chdir(tmp_path)
    relative = classify_url("./shared.git/")
    assert (relative.kind, relative.url) == ("file", str(bare.resolve()))
    assert relative.cache_key == classify_url(str(bare)).cache_key


def test_working_repository_missing_path_and_relative_paths_are_local(tmp_path: Path) -> None:
    work = tmp_path / "work"
    git(tmp_path, "init", "-q", str(work))
    for url in (str(work), f"file://{work}", str(tmp_path / "new"), f"file://{tmp_path}/new",
                "./dir:with-colon", "C:/configs/repo", "relative/path"):
        assert classify_url(url).kind == "local", url
        assert not is_remote_url(url)


@pytest.mark.parametrize("url, message", [
    ("ftp://host/config.git", "ftp://host/config.git: unsupported URL scheme ftp://; use a path, "
                              "file://, https://, ssh://, git:// or user@host:path"),
    ("https:///config.git", "https:///config.git: a https:// URL needs a host name"),
    ("file://otherhost/srv/config.git", "file://otherhost/srv/config.git: a file:// URL names a "
                                        "path on this machine, not on otherhost"),
    ("", "not a repository URL or path: ''"),
])
def test_unusable_urls_are_usage_errors(url: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        classify_url(url)
    assert str(info.value) == message
    assert not is_remote_url(url)


def test_credentials_never_appear_in_the_display_form() -> None:
    parsed = classify_url("https://deploy:s3cret-token@git.example.com/config.git")
    assert parsed.display == "https://deploy:***@git.example.com/config.git"
    assert redact("https://ghp_token@git.example.com/x") == "https://***@git.example.com/x"
    assert redact("ssh://git@host/x.git") == "ssh://git@host/x.git"
    assert redact("git@github.com:acme/config.git") == "git@github.com:acme/config.git"


def test_cache_key_is_stable_and_distinct_per_url() -> None:
    one = classify_url("git://127.0.0.1:1/a.git").cache_key
    assert one == classify_url("git://127.0.0.1:1/a.git").cache_key
    assert one != classify_url("git://127.0.0.1:1/b.git").cache_key
    assert len(one) == 24 and all(c in "0123456789abcdef" for c in one)

"""What a store URL names: a local configuration repository, or a git remote to clone.

Remote URLs are the ones git itself fetches from: ``https://`` (and
``http://``), ``ssh://``, ``git://``, the scp-like ``[user@]host:path``, and a
``file://`` URL (or a plain path) naming a *bare* repository, which has no
working tree to write in and is shared the way a server's repository is. A
plain path or a ``file://`` URL naming a directory with a working tree (or
nothing yet) is a local repository.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from gitstore.errors import UsageError

NETWORK_SCHEMES = {"https": "https", "http": "http", "ssh": "ssh", "git+ssh": "ssh",
                   "ssh+git": "ssh", "git": "git"}
_SCP_LIKE = re.compile(r"^(?:[^@/:\s]+@)?(?P<host>\[[^\]]+\]|[^@/:\s]+):(?P<path>.*)$")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class StoreUrl:
    """A classified store URL."""

    kind: str  # "local", "https", "http", "ssh", "scp", "git" or "file"
    url: str  # as given (what git clones for a remote)
    path: Path | None  # the filesystem path, for "local" and "file"

    @property
    def is_remote(self) -> bool:
        return self.kind != "local"

    @property
    def display(self) -> str:
        """The URL with any password or token removed, fit for messages and logs."""
        return redact(self.url)

    @property
    def cache_key(self) -> str:
        """A short stable name for this remote's clone in the cache."""
        return hashlib.sha256(self.url.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def redact(url: str) -> str:
    """The URL without secrets: ``https://user:secret@host/x`` -> ``https://user:***@host/x``.

    Over http(s) a user name alone is often a token (``https://TOKEN@host``),
    so it is hidden too; ``ssh://git@host`` and ``git@host:path`` stay as they are.
    """
    url = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://[^/@:]*):[^/@]*@", r"\1:***@", url)
    return re.sub(r"^(https?://)[^/@:]+@", r"\1***@", url, flags=re.IGNORECASE)


def _is_bare_repository(path: Path) -> bool:
    """A directory laid out as a bare git repository (no working tree)."""
    if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
        return False
    return not (path / ".git").exists()


def classify_url(url: str) -> StoreUrl:
    """Classify ``url``; a URL of a scheme git cannot push to raises UsageError."""
    if not url or url != url.strip():
        raise UsageError(f"not a repository URL or path: {url!r}")
    match = _SCHEME.match(url)
    if match:
        scheme = match.group("scheme").lower()
        if scheme in NETWORK_SCHEMES:
            if not urlsplit(url).hostname:
                raise UsageError(f"{redact(url)}: a {scheme}:// URL needs a host name")
            return StoreUrl(NETWORK_SCHEMES[scheme], url, None)
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise UsageError(f"{url}: a file:// URL names a path on this machine, "
                                 f"not on {parts.netloc}")
            path = Path(unquote(parts.path))
            return StoreUrl("file" if _is_bare_repository(path) else "local", url, path)
        raise UsageError(f"{redact(url)}: unsupported URL scheme {scheme}://; use a path, "
                         "file://, https://, ssh://, git:// or user@host:path")
    if _looks_scp_like(url):
        return StoreUrl("scp", url, None)
    path = Path(url).expanduser()
    if _is_bare_repository(path):
        path = path.resolve()  # the same repository from any working directory
        return StoreUrl("file", str(path), path)
    return StoreUrl("local", url, path)


def _looks_scp_like(url: str) -> bool:
    """git's rule: a colon before any slash makes ``host:path`` an ssh location."""
    colon, slash = url.find(":"), url.find("/")
    if colon <= 0 or (0 <= slash < colon):
        return False
    if colon == 1 and url[0].isalpha():  # a Windows drive letter, C:\ or C:/
        return False
    return _SCP_LIKE.match(url) is not None


def is_remote_url(url: str) -> bool:
    """True when ``url`` names a git remote (including a bare repository), not a local store."""
    try:
        return classify_url(url).is_remote
    except UsageError:
        return False

"""``GitZenStore``: ZenML 0.10's zen store API over a configuration repository."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gitstore.defaults import initial_files
from gitstore.errors import UsageError
from gitstore.models import PipelineRunWrapper, StoreType
from gitstore.plumbing import vcs
from gitstore.plumbing.layout import CONFIG_FILE
from gitstore.plumbing.locking import lock_timeout
from gitstore.plumbing.snapshot import Snapshot
from gitstore.remote_url import is_remote_url
from gitstore.store.access import AccessMethods
from gitstore.store.flavors import FlavorMethods
from gitstore.store.roles import RoleMethods
from gitstore.store.stacks import StackMethods
from gitstore.store.state import FileChanges, Tree

FILE_SCHEME = "file://"
BARE_SETTINGS = "# gitstore repository settings (format version 1).\nformat: 1\n"


class GitZenStore(StackMethods, AccessMethods, RoleMethods, FlavorMethods):
    """A zen store whose every change is one commit of a configuration repository.

    ``GitZenStore().initialize(path)`` opens the repository at ``path``, or
    creates it when the folder is missing or empty.
    """

    def initialize(
        self,
        url: str,
        skip_default_registrations: bool = False,
        track_analytics: bool = True,
        skip_migration: bool = False,
        **kwargs: Any,
    ) -> GitZenStore:
        """Open (or create) the repository; ``track_analytics`` is accepted, nothing is sent.

        ``url`` is a local path or ``file://`` URL, or a git remote (``https://``,
        ``ssh://``, ``git://``, ``user@host:path``, a bare repository): a remote is
        worked on in a cached clone, read as last fetched (:meth:`refresh` fetches),
        and each write is pushed (see :mod:`gitstore.remote`).
        """
        timeout = lock_timeout(kwargs.get("lock_timeout"))
        if isinstance(url, str) and is_remote_url(url):
            from gitstore.remote import RemoteClone

            self._remote = RemoteClone.open(url, lock_timeout=timeout)
            root: Path | None = self._remote.path
        else:
            root = self.get_path_from_url(url)
        if root is None:
            raise UsageError(
                f"{url!r}: not a path, a file:// URL or a git remote URL "
                "(https://, ssh://, git://, user@host:path)"
            )
        root = root.expanduser().absolute()
        if not (root / CONFIG_FILE).exists():
            _prepare_new(root)
        self._open(root, timeout)
        if not (root / CONFIG_FILE).exists():
            files = (
                initial_files() if not skip_default_registrations else {CONFIG_FILE: BARE_SETTINGS}
            )
            self._write("initialize configuration repository", _create_plan(files))
        if not skip_default_registrations:
            if self.stacks_empty:
                self.register_default_stack()
            self.create_default_user()
        return self

    def refresh(self) -> None:
        """Fetch a remote repository, so that reads see its current state (local: no-op).

        Run records are exchanged too: the remote's arrive, any not sent yet leave.
        """
        if self._remote is not None:
            from gitstore.runs.sync import sync_runs

            self._remote.refresh()
            with self._remote.locked():
                sync_runs(self.repo.root)

    def at(self, rev: str) -> GitZenStore:
        """A read-only view of commit ``rev``; its writes raise ReadOnlyStoreError."""
        view = self._view_of(rev)
        assert isinstance(view, GitZenStore)
        return view

    def snapshot(self) -> Snapshot:
        """The parsed repository as reads see it: settings, users, teams, roles, ...

        For front ends that need more than the zen store API returns (a user's
        email, the roles' grants); hand edits show here as in every read.
        """
        return self._tree().snapshot

    # --- ZenML's store identity ------------------------------------------------

    @staticmethod
    def get_path_from_url(url: str) -> Path | None:
        if not GitZenStore.is_valid_url(url) or is_remote_url(url):
            return None  # not a store URL, or a remote, which has no path on this machine
        return Path(url[len(FILE_SCHEME) :]) if url.startswith(FILE_SCHEME) else Path(url)

    @staticmethod
    def get_local_url(path: str) -> str:
        return FILE_SCHEME + str(Path(path).expanduser().absolute())

    @staticmethod
    def is_valid_url(url: str) -> bool:
        if not isinstance(url, str) or not url:
            return False
        if url.startswith(FILE_SCHEME) or is_remote_url(url):
            return True
        return "://" not in url and not url.startswith("git@")

    @property
    def type(self) -> StoreType:
        return StoreType.GIT

    @property
    def url(self) -> str:
        if self._remote is not None:
            return self._remote.url.url
        return self.get_local_url(str(self.repo.root))

    # --- pipeline runs (records on the runs branch, see gitstore.runs) ---------

    def register_pipeline_run(self, pipeline_run: PipelineRunWrapper) -> None:
        self._require_writable("register pipeline run " + pipeline_run.name)
        from gitstore import runs

        if self._remote is None:
            runs.record_run(self.repo.root, pipeline_run)
            return
        from gitstore.runs.sync import sync_runs

        with self._remote.locked():  # pinned to the clone's HEAD: a commit the remote holds
            sync_runs(self.repo.root)  # others' records first, so run names stay unique
            runs.record_run(self.repo.root, pipeline_run)
            result = sync_runs(self.repo.root)
        if pipeline_run.name in result.duplicates:
            from gitstore.exceptions import EntityExistsError

            raise EntityExistsError(
                f"another clone recorded a run named {pipeline_run.name!r} at the same time; "
                "the remote keeps that one"
            )

    def get_pipeline_run(
        self, pipeline_name: str, run_name: str, project_name: str | None = None
    ) -> PipelineRunWrapper:
        from gitstore import runs

        return runs.get_run(self.repo.root, pipeline_name, run_name, project_name)

    def get_pipeline_runs(
        self, pipeline_name: str, project_name: str | None = None
    ) -> list[PipelineRunWrapper]:
        from gitstore import runs

        return runs.list_runs(self.repo.root, pipeline_name, project_name)

    def _require_writable(self, what: str) -> None:
        if self._writer is None:
            from gitstore.exceptions import ReadOnlyStoreError

            raise ReadOnlyStoreError(
                f"`{what}` needs a writable store, not a read-only view of a commit"
            )

    def __repr__(self) -> str:
        where = self._repo.root if self._repo else "(not initialized)"
        view = f" at {self._rev[:12]}" if self._rev else ""
        return f"GitZenStore({where}{view})"


def _prepare_new(root: Path) -> None:
    """Make ``root`` a git repository ready for a configuration (refusing a foreign folder)."""
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} is a file, not a folder")
    root.mkdir(parents=True, exist_ok=True)
    info = vcs.repo_info(root)
    if info is not None and info.toplevel is None:
        raise UsageError(f"{root} is a bare git repository; open a clone of it instead")
    if info is None:
        with os.scandir(root) as entries:
            empty = next(entries, None) is None
        if not empty:
            raise UsageError(
                f"{root} is not empty and not a configuration repository "
                f"(no {CONFIG_FILE}); use an empty folder or run `gitstore init` there"
            )
        vcs.init_repo(root)


def _create_plan(files: dict[str, str]) -> Any:
    def plan(tree: Tree) -> FileChanges:
        if tree.snapshot.has_settings:
            return {}
        return dict(files)

    return plan

"""How regkit writes files: unique temporary names, permissions, folder locks, and sets of
files that appear together.

Every output is written under a temporary name beside its target and renamed onto it when
complete, so a reader never sees half a file. The rules that make that hold when several
threads or processes write at once, or when a run is killed:

* A temporary name is unique (the writer's process id and a random token), and created
  exclusively, so two writers of one target never share a file; the last rename wins and
  each result is whole.
* A temporary file is created with mode ``0o666`` less the umask, as ``open()`` would create
  the target, not the ``0o600`` of :func:`tempfile.mkstemp`.
* Temporary files left by a killed process (its id no longer runs) are removed by the next
  writer into the same folder.
* A set of files (a report split into several) is made visible through a journal: the
  renames are listed in ``.regkit-commit.json`` before the first one, and a run that finds a
  journal finishes the renames it lists (every file it names was complete and validated
  before the journal was written) before doing anything else. Writers of sets hold an
  exclusive lock on the folder (:func:`folder_lock`), so two runs never interleave.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

__all__ = [
    "atomic_path",
    "commit_set",
    "current_text",
    "folder_lock",
    "new_temporary",
    "remove_stale",
    "write_text_if_changed",
]

_SUFFIX = ".partial"
_STALE = re.compile(r"^\..+\.(?P<pid>\d+)-[0-9a-f]{12}\.partial$")
LOCK_NAME = ".regkit.lock"
JOURNAL_NAME = ".regkit-commit.json"


def new_temporary(target: Path) -> tuple[int, Path]:
    """Create a unique, empty temporary file beside ``target``; return its descriptor and path.

    The name is ``.<target name>.<pid>-<token>.partial``; the mode is ``0o666`` less the
    umask, like the target's would be.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        path = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(6)}{_SUFFIX}")
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), path
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a unique temporary path beside ``target``; rename it onto ``target`` on success.

    On any error the temporary file is removed and ``target`` is left as it was.
    """
    remove_stale(target.parent)
    descriptor, temporary = new_temporary(target)
    os.close(descriptor)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def current_text(path: Path) -> str | None:
    """A text file's content, or None when there is no such file."""
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None


def write_text_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically (``\n`` line ends) unless it holds it already;
    True when written. For generated pages, which a test compares with what they hold."""
    if current_text(path) == text:
        return False
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="\n")
    return True


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` whose writing process no longer runs (but
    not those a journal still lists: the next writer of the set finishes them)."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    journaled = {temporary for temporary, _ in _journal(folder)}
    for entry in entries:
        match = _STALE.match(entry.name)
        if match is None or entry.name in journaled or _running(int(match["pid"])):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it runs
        return True
    return True


# Threads of one process share flock()s taken on one open file, so the process also keeps
# the folders it has locked: a second thread is refused as a second process would be.
_HELD: set[str] = set()
_HELD_LOCK = threading.Lock()


@contextlib.contextmanager
def folder_lock(folder: Path, busy: Callable[[str], Exception]) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (created if missing); raise ``busy(message)`` at
    once if another thread or process holds it. On entry, a set of renames that a killed
    run left half done is finished, and stale temporary files are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    key = str(folder.resolve())
    with _HELD_LOCK:
        if key in _HELD:
            raise busy(f"{folder} is being written by another thread of this process")
        _HELD.add(key)
    try:
        descriptor = _lock(folder / LOCK_NAME, busy)
        try:
            _recover(folder)
            remove_stale(folder)
            yield
        finally:
            # Unlinked while still held, so no one is left waiting on a file that is gone.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / LOCK_NAME)
            os.close(descriptor)
    finally:
        with _HELD_LOCK:
            _HELD.discard(key)


def _lock(path: Path, busy: Callable[[str], Exception]) -> int:
    """An open descriptor of ``path`` holding its exclusive lock, the file being the one the
    name still names (a holder removes it when done: then the lock is taken anew)."""
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(descriptor)
            raise busy(f"{path.parent} is being written by another process") from exc
        try:
            if os.stat(path).st_ino == os.fstat(descriptor).st_ino:
                return descriptor
        except FileNotFoundError:
            pass
        os.close(descriptor)


def commit_set(folder: Path, renames: Sequence[tuple[Path, Path]]) -> None:
    """Rename each complete temporary file onto its target, as one set: the journal that
    lists them is written first and removed last, so a killed run is finished by the next
    (:func:`folder_lock`). Call it holding the folder's lock."""
    journal = folder / JOURNAL_NAME
    entries = [[temporary.name, target.name] for temporary, target in renames]
    with atomic_path(journal) as temporary_journal:
        temporary_journal.write_text(json.dumps(entries), encoding="utf-8")
    _finish(folder, entries)
    journal.unlink()


def _journal(folder: Path) -> list[tuple[str, str]]:
    try:
        entries = json.loads((folder / JOURNAL_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    return [(str(temporary), str(target)) for temporary, target in entries]


def _recover(folder: Path) -> None:
    entries = _journal(folder)
    if entries:
        _finish(folder, entries)
        (folder / JOURNAL_NAME).unlink()


def _finish(folder: Path, entries: Sequence[Sequence[str]]) -> None:
    for temporary, target in entries:
        with contextlib.suppress(FileNotFoundError):  # renamed before the run stopped
            os.replace(folder / temporary, folder / target)

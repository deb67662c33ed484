"""How regkit writes files when writers race or die (regkit._files and its users).

Each test reproduces what a security tester did: two writers of one path, two report runs
into one folder, a run killed between the renames of a multi-file report, files left by a
killed process, and the mode of what is written.
"""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import regkit as rk
from regkit._files import JOURNAL_NAME, atomic_path, folder_lock
from regkit.errors import RenderError
from regkit.reports.writer import write_files
from regkit.samples import SampleConfig, generate


@contextlib.contextmanager
def _root(xf: Any, part: Any) -> Iterator[None]:
    with xf.element("Root"):
        yield


def _write(folder: Path, records: int, prefix: str = "out", max_records: int = 2) -> list[Path]:
    items = [(f"r{n}", f"<Item n='{n}'/>".encode()) for n in range(records)]
    return write_files(
        items,
        folder,
        envelope=_root,
        name=lambda sequence: f"{prefix}_{sequence}.xml",
        schema=None,
        max_records=max_records,
    )


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_writers_of_one_path_never_share_a_temporary_file(tmp_path: Path) -> None:
    # Before: every writer in a process used ".<name>.<pid>.partial", so threads wrote into
    # one file and the result was a mix of both, or a rename failed.
    target = tmp_path / "accounts.jsonl"
    sample = generate(SampleConfig(trades=40))
    batches = [sample.accounts[: n + 1] for n in range(8)]
    failures: list[BaseException] = []

    def write(accounts: list[rk.Account]) -> None:
        try:
            for _ in range(5):
                rk.write_records(accounts, target)
        except BaseException as exc:  # pragma: no cover - the failure being tested
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [a.to_row() for a in rk.read_records(target, rk.Account).records] == [
        a.to_row() for a in batches[len(lines) - 1]
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["accounts.jsonl"]


def test_files_are_written_with_the_mode_the_umask_gives(tmp_path: Path) -> None:
    # Before: report files came from mkstemp, 0600 whatever the umask.
    old = os.umask(0o022)
    try:
        paths = _write(tmp_path / "reports", 3)
        with atomic_path(tmp_path / "one.txt") as temporary:
            temporary.write_text("x", encoding="utf-8")
    finally:
        os.umask(old)
    for path in [*paths, tmp_path / "one.txt"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    left = tmp_path / f".out_1.xml.{dead}-0123456789ab.partial"
    ours = tmp_path / f".out_9.xml.{alive}-0123456789ab.partial"
    left.write_bytes(b"<Root>")
    ours.write_bytes(b"<Root>")
    _write(tmp_path, 1)
    assert not left.exists()
    assert ours.exists()  # a running process's file is never touched


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    with folder_lock(tmp_path, RenderError), pytest.raises(RenderError, match="being written"):
        _write(tmp_path, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_second_process_is_refused_while_the_first_writes(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from regkit._files import folder_lock
        from regkit.errors import RenderError
        with folder_lock(Path({str(tmp_path)!r}), RenderError):
            print("locked", flush=True)
            sys.stdin.readline()
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(RenderError, match="another process"):
            _write(tmp_path, 3)
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert [p.name for p in _write(tmp_path, 3)] == ["out_1.xml", "out_2.xml"]


def test_another_report_under_the_same_name_is_never_replaced(tmp_path: Path) -> None:
    # Before: a second run numbered its files from 1 again and replaced the first run's.
    first = _write(tmp_path, 3)
    kept = {path: path.read_bytes() for path in first}
    assert _write(tmp_path, 3) == first  # the same report again: same bytes, allowed
    items = [("x", b"<Other/>")]
    with pytest.raises(RenderError, match=r"out_1\.xml exists and holds another report"):
        write_files(
            items,
            tmp_path,
            envelope=_root,
            name=lambda n: f"out_{n}.xml",
            schema=None,
            max_records=2,
        )
    assert {path: path.read_bytes() for path in first} == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out_1.xml", "out_2.xml"]


def test_a_run_killed_between_renames_is_finished_by_the_next(tmp_path: Path) -> None:
    # The child renames the first file of three, then dies as a SIGKILL would leave it.
    script = textwrap.dedent(
        f"""
        import contextlib, os
        from pathlib import Path
        import regkit._files as files
        from regkit.reports.writer import write_files

        real = os.replace
        done = []
        def dying(source, target):
            if str(target).endswith(".xml") and done:
                os._exit(9)
            real(source, target)
            if str(target).endswith(".xml"):
                done.append(target)
        files.os.replace = dying

        @contextlib.contextmanager
        def root(xf, part):
            with xf.element("Root"):
                yield

        items = [(f"r{{n}}", f"<Item n='{{n}}'/>".encode()) for n in range(5)]
        write_files(items, Path({str(tmp_path)!r}), envelope=root,
                    name=lambda s: f"out_{{s}}.xml", schema=None, max_records=2)
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False)
    assert killed.returncode == 9
    assert (tmp_path / JOURNAL_NAME).exists()
    assert sorted(p.name for p in tmp_path.glob("*.xml")) == ["out_1.xml"]  # a partial set

    # Any later writer into the folder finishes the set first.
    expected = _write(tmp_path / "clean", 5)
    assert _write(tmp_path, 5) == [tmp_path / p.name for p in expected]
    for path in expected:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clean",
        "out_1.xml",
        "out_2.xml",
        "out_3.xml",
    ]

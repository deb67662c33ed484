"""Validating processes: every chunk validated, the same verdicts and words as in a thread,
and validation in the thread whenever a process cannot be started or stops."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from regkit.errors import RenderError, XsdValidationError
from regkit.reports import validators as validators_module
from regkit.reports.validators import Validators, check_document
from regkit.reports.writer import write_files
from regkit.reports.xml import validate

LEI = "5493001KJTIIGC8Y1R12"
NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:auth.016.001.01"
CANCEL = b"<Tx><Cxl><TxId>%s</TxId><ExctgPty>%s</ExctgPty><SubmitgPty>%s</SubmitgPty></Cxl></Tx>"


def cancel(reference: str, lei: str = LEI) -> bytes:
    return CANCEL % (reference.encode(), lei.encode(), LEI.encode())


def document(*records: bytes) -> bytes:
    body = b"\n".join(records)
    return (
        b"<?xml version='1.0' encoding='UTF-8'?>\n"
        + f'<Document xmlns="{NAMESPACE}">\n<FinInstrmRptgTxRpt>\n'.encode()
        + body
        + b"\n</FinInstrmRptgTxRpt>\n</Document>\n"
    )


GOOD = document(cancel("T1"), cancel("T2"))
# RTS 22 field 4 (ExctgPty) is an LEI: the schema's pattern refuses anything else.
BAD = document(cancel("T1"), cancel("T2", lei="not-an-lei"))


def verdicts(pool: Validators, documents: list[bytes]) -> list[Any]:
    futures = [pool.submit(item) for item in documents]
    return [future.result() for future in futures]


def test_processes_give_the_verdicts_and_words_of_a_thread() -> None:
    documents = [GOOD, GOOD, BAD, GOOD, BAD]
    with Validators("auth.016", workers=2) as pool:
        found = verdicts(pool, documents)
        assert pool.processes == 2  # from the second document on
    assert found == [check_document("auth.016", item) for item in documents]
    assert found[0] is None
    assert found[2] is not None
    line, path, reason = found[2]
    assert (line, path) == (5, "/Document/FinInstrmRptgTxRpt/Tx[2]/Cxl/ExctgPty")
    assert "pattern" in reason


def test_a_single_document_starts_no_process() -> None:
    with Validators("auth.016", workers=2) as pool:
        assert verdicts(pool, [GOOD]) == [None]
        assert pool.processes == 0


def test_processes_stop_when_the_validators_close() -> None:
    with Validators("auth.016", workers=2) as pool:
        verdicts(pool, [GOOD, GOOD, GOOD])
        started = list(pool._processes)
    assert len(started) == 2
    assert all(item.process.poll() is not None for item in started)


def test_a_document_of_another_message_is_refused_by_a_process_too() -> None:
    emir = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.030.001.03"/>'
    with Validators("auth.016", workers=2) as pool:
        found = verdicts(pool, [GOOD, GOOD, emir])
    assert found[2] == (1, "/", "the document is a auth.030 message, not auth.016")


@pytest.mark.parametrize("broken", ["no executable", "dies at once", "wrong answer"])
def test_a_broken_process_leaves_validation_to_the_thread(
    broken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "worker.py"
    if broken == "no executable":
        monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    else:
        body = "" if broken == "dies at once" else "import sys; sys.stdout.write('x')"
        script.write_text(body, encoding="utf-8")
        monkeypatch.setattr(validators_module, "_SCRIPT", script)
    documents = [GOOD, BAD, GOOD, BAD, GOOD]
    with Validators("auth.016", workers=2) as pool:
        found = verdicts(pool, documents)
    assert found == [check_document("auth.016", item) for item in documents]
    assert [item is None for item in found] == [True, False, True, False, True]


def test_workers_must_be_at_least_one() -> None:
    with pytest.raises(RenderError, match="workers must be at least 1, got 0"):
        Validators("auth.016", workers=0)


@contextlib.contextmanager
def envelope(xf: Any, part: Any) -> Iterator[None]:
    with (
        xf.element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE}),
        xf.element(f"{{{NAMESPACE}}}FinInstrmRptgTxRpt"),
    ):
        yield


def written(folder: Path, records: list[tuple[str, bytes]], workers: int) -> list[bytes]:
    paths = write_files(
        records, folder, envelope=envelope, name=lambda n: f"f{n}.xml",
        schema="auth.016", max_records=10, workers=workers, chunk_records=2,
    )  # fmt: skip
    assert all(validate(path).ok for path in paths)
    return [path.read_bytes() for path in paths]


def test_files_are_the_same_bytes_validated_in_processes_or_inline(tmp_path: Path) -> None:
    records = [(f"r{n}", cancel(f"T{n}")) for n in range(25)]
    assert written(tmp_path / "a", records, workers=2) == written(tmp_path / "b", records, 1)


def test_a_bad_record_in_a_chunk_a_process_validated_is_named(tmp_path: Path) -> None:
    records = [(f"r{n}", cancel(f"T{n}")) for n in range(12)]
    records[9] = ("r9", cancel("T9", lei="not-an-lei"))  # the fifth chunk of two
    with pytest.raises(XsdValidationError) as caught:
        written(tmp_path, records, workers=2)
    assert "record r9" in str(caught.value)
    assert caught.value.file == "f1.xml"
    assert list(tmp_path.iterdir()) == []


def test_schemas_are_compiled_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two threads compiling libxml2's first schemas at once left it unable to compile any
    # ("the given type 'anyURI' is not a built-in type") for the life of the process: seen
    # when the first two chunks of a render were validated at once.
    from lxml import etree

    from regkit.reports import xml

    held: list[bool] = []
    compile_schema = etree.XMLSchema

    def watched(*args: Any, **kwargs: Any) -> etree.XMLSchema:
        held.append(xml._COMPILING.locked())
        return compile_schema(*args, **kwargs)

    monkeypatch.setattr(xml.etree, "XMLSchema", watched)
    xml._envelope.cache_clear()
    xml._load.cache_clear()
    try:
        xml.schema("auth.016")
        xml._envelope("auth.016", None)
    finally:
        xml._envelope.cache_clear()
        xml._load.cache_clear()
    assert held == [True] * 4  # auth.016, then head.003, head.001 and the envelope of all three

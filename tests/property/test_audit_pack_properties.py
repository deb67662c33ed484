"""Any findings make a report that renders, escapes what records say, and a pack that verifies."""

from __future__ import annotations

import ast
import functools
import io
import json
import struct
import tempfile
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given, settings
from hypothesis import strategies as st

import regkit as rk
from regkit.reports import audit_pack

RULE_IDS = ("ESMA-CFD-LEV", "AML-STRUCT.1", "KYC_EXPIRED", "X-9")
STARTED = datetime(2026, 11, 2, tzinfo=UTC)

evidence_values = st.one_of(
    st.text(max_size=20),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, max_value=10**9, min_value=-(10**9)
    ),
    st.integers(),
    st.none(),
)

findings = st.builds(
    rk.Finding,
    rule_id=st.sampled_from(RULE_IDS),
    severity=st.sampled_from([str(severity) for severity in rk.Severity]),
    record_kind=st.sampled_from(["trade", "account", "movement", "snapshot"]),
    record_id=st.text(min_size=1, max_size=12),
    message=st.text(max_size=60),
    evidence=st.dictionaries(st.text(min_size=1, max_size=12), evidence_values, max_size=3),
    reference=st.fixed_dictionaries(
        {}, optional={"regulator": st.text(max_size=8), "article": st.text(max_size=8)}
    ),
    at=st.none()
    | st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2027, 12, 31),
        timezones=st.just(UTC),
    ),
)


def result_of(items: list[rk.Finding], policy_id: str = "prop<&>") -> rk.CheckResult:
    return rk.CheckResult(
        findings=items,
        policy_id=policy_id,
        policy_version="1",
        policy_sha256="0" * 64,
        started_at=STARTED,
        finished_at=STARTED,
        rules_evaluated=RULE_IDS,
        records_checked={"trade": 10},
        input_fingerprints={"trades": "1" * 64},
    )


@settings(max_examples=25)
@given(items=st.lists(findings, max_size=40), max_rows=st.integers(1, 50))
def test_any_findings_make_a_pack_that_verifies(items: list[rk.Finding], max_rows: int) -> None:
    result = result_of(items)
    with tempfile.TemporaryDirectory() as folder:
        pack = audit_pack.build(result, Path(folder) / "pack.zip", max_rows=max_rows)
        checked = audit_pack.verify(pack)
        assert checked.ok, checked.lines()
        with zipfile.ZipFile(pack) as archive:
            page = archive.read("data/report.html").decode("utf-8")
            packed = json.loads(archive.read("data/findings.json"))
            assert archive.read("data/findings.csv").decode("utf-8") == result.to_csv()
    # findings.json is the result's JSON but for the run's wall-clock times
    assert packed == {k: v for k, v in result.to_dict().items() if not k.endswith("ed_at")}
    assert "<script" not in page
    assert "prop&lt;&amp;&gt;" in page
    for rule_id in result.counts_by_rule:
        assert f"<code>{rule_id}</code>" in page
    assert page.count('<tr><td><span class="badge sev-') - 6 == min(len(items), max_rows)


@settings(max_examples=25)
@given(policy_id=st.text(min_size=1, max_size=30), items=st.lists(findings, max_size=5))
def test_the_rerun_script_is_code_only_where_regkit_writes_code(
    policy_id: str, items: list[rk.Finding]
) -> None:
    """Whatever a policy id or a record says, rerun.py parses and imports only what it
    should: text from the result never becomes a statement an auditor would run."""
    result = result_of(items, policy_id)
    with tempfile.TemporaryDirectory() as folder:
        pack = audit_pack.build(result, Path(folder) / "pack.zip", inputs="fingerprints")
        with zipfile.ZipFile(pack) as archive:
            script = archive.read("data/rerun.py").decode("utf-8")
            scope = json.loads(archive.read("data/scope.json"))
    tree = ast.parse(script)
    statements = [type(node).__name__ for node in tree.body]
    assert statements == [
        "Import", "ImportFrom", "ImportFrom", "Import", "Assign", "Assign", "Assign",
        "Assign", "Assign", "For",
    ]  # fmt: skip
    assert scope["findings"] == len(items)
    assert scope["records"] == {"trades": 10}


def test_decimal_evidence_stays_text() -> None:
    finding = rk.Finding(
        rule_id="X-9",
        severity="low",
        record_kind="trade",
        record_id="T1",
        message="m",
        evidence={"trade.price": Decimal("1.10")},
    )
    with tempfile.TemporaryDirectory() as folder:
        pack = audit_pack.build(result_of([finding]), Path(folder) / "pack.zip")
        with zipfile.ZipFile(pack) as archive:
            assert '"trade.price": "1.10"' in archive.read("data/findings.json").decode()


# --- a changed byte never verifies ----------------------------------------------------------

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
FINDING = rk.Finding(
    rule_id="X-9", severity="high", record_kind="trade", record_id="T1", message="over the cap"
)


@functools.cache
def good_pack() -> bytes:
    """A small signed pack: every kind of part (stored and Deflated entries, zip64 local
    headers, the central directory, the end record) in a few kB."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.zip"
        return audit_pack.build(result_of([FINDING]), path, signer=KEY).read_bytes()


def flip(position: int, mask: int) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        if not data:
            return data
        at = position % len(data)
        return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]

    return change


def insert(position: int, blob: bytes) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        at = position % (len(data) + 1)
        return data[:at] + blob + data[at:]

    return change


def cut(position: int, length: int) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        at = position % (len(data) or 1)
        return data[:at] + data[at + length :]

    return change


def truncate(keep: int) -> Callable[[bytes], bytes]:
    return lambda data: data[: keep % (len(data) or 1)]


positions = st.integers(0, 1 << 20)
changes = st.lists(
    st.one_of(
        st.builds(flip, positions, st.integers(1, 255)),
        st.builds(flip, positions, st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128])),
        st.builds(insert, positions, st.binary(min_size=1, max_size=8)),
        st.builds(cut, positions, st.integers(1, 8)),
        st.builds(truncate, positions),
    ),
    min_size=1,
    max_size=3,
)


def deflate_spans(data: bytes) -> list[range]:
    """Where the Deflate-compressed data of each entry lies in the zip."""
    spans = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.compress_type == zipfile.ZIP_DEFLATED:
                names, extra = struct.unpack_from("<HH", data, info.header_offset + 26)
                start = info.header_offset + 30 + names + extra
                spans.append(range(start, start + info.compress_size))
    return spans


def contents(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@settings(max_examples=400, deadline=None)
@given(steps=changes)
@example(steps=[flip(4341, 32)])  # an LZ77 distance that copies the same bytes: see below
def test_a_changed_pack_never_verifies_as_intact(steps: list[Callable[[bytes], bytes]]) -> None:
    """Random byte flips, insertions, cuts and truncations of a good pack: verify reports a
    problem or raises a RegkitError (not a zip), and says "intact" of other bytes than the
    pack's only when the change is inside a Deflate stream and inflates to the very same
    files: Deflate can encode the same content in more than one way (an LZ77 match may
    point at either of two identical earlier strings), which no reader can tell."""
    original = good_pack()
    data = original
    for step in steps:
        data = step(data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pack.zip"
        path.write_bytes(data)
        try:
            checked = audit_pack.verify(path, public_key=KEY.public_key())
        except rk.RegkitError:
            assert data != original
            return
    for problem in checked.problems:
        assert str(problem)
    if data == original:
        assert checked.ok, checked.lines()
    elif checked.ok:
        assert len(data) == len(original)
        changed = [at for at, (a, b) in enumerate(zip(data, original, strict=True)) if a != b]
        spans = deflate_spans(original)
        assert all(any(at in span for span in spans) for at in changed)
        assert contents(data) == contents(original)

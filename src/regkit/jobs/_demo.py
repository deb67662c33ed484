"""The demo (``regkit demo``) as steps a service or a notebook can run: each step writes or
reads the sample brokerage and tells what it found through a callback."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from regkit.errors import RecordError
from regkit.jobs._check import sample_config
from regkit.jobs._common import as_path
from regkit.jobs._demo_ledger import step_ledger
from regkit.jobs._history import pack_from_store
from regkit.reports import audit_pack
from regkit.reports.precheck import ContentCheck
from regkit.reports.registry import report_type
from regkit.reports.values import Rendered
from regkit.reports.xml import validate as validate_xml
from regkit.rules.engine import check
from regkit.rules.findings import Finding, Severity
from regkit.rules.policy import builtin_policies, load_policy
from regkit.samples import DEFAULT_SEED, PLANTED_KINDS, SampleManifest, write_samples
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.enums import Product, UnderlyingClass
from regkit.schemas.firm import Firm
from regkit.schemas.io import RecordBatch, read_frame, read_records
from regkit.schemas.kinds import KINDS, RecordKind
from regkit.schemas.party import NaturalPerson
from regkit.schemas.trade import Trade

__all__ = ["DEMO_STEPS", "DemoContext", "DemoStep", "demo", "sample_lines"]

#: Trades in the demo's sample brokerage.
_DEMO_TRADES = 2_000


def _silent(text: str) -> None:
    """A callback that shows nothing."""


@dataclass
class DemoContext:
    """What the demo steps share.

    Attributes:
        out_dir: where the sample set is written.
        seed: the sample seed.
        progress: told each line the steps say (default: nothing is shown).
        manifest: the written sample set, once the first step has run.
        batches: what was read back, by file stem (``trades``).
        firm: the firm read back from ``firm.json``.
        errors: every record error met on the way.
        problems: what went wrong in a step (the demo then exits 1).
        report_files: the regulator files the demo wrote (for the audit pack).
        content_checks: what the reports' pre-submission checks found (for the pack).

    Examples:
        >>> lines = []
        >>> ctx = DemoContext(Path("build/demo"), DEFAULT_SEED, lines.append)
        >>> ctx.say("hello")
        >>> lines
        ['hello']
    """

    out_dir: Path
    seed: int
    progress: Callable[[str], None] | None = None
    manifest: SampleManifest | None = None
    batches: dict[str, RecordBatch[Any]] = field(default_factory=dict)
    firm: Firm | None = None
    errors: list[RecordError] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    report_files: list[Path] = field(default_factory=list)
    content_checks: list[ContentCheck] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        """Tell a line of the demo."""
        (self.progress or _silent)(text)

    def path(self, stem: str) -> Path:
        """The path of a written record file, by stem (``trades``)."""
        if self.manifest is None:
            raise RuntimeError("the sample set has not been written yet")
        return self.manifest.path(f"{stem}.{self.manifest.format}")


@dataclass(frozen=True)
class DemoStep:
    """One step of ``regkit demo``: a title and what it does.

    Attributes:
        title: shown above the step's output.
        run: does the step, telling what it does through :meth:`DemoContext.say`.
    """

    title: str
    run: Callable[[DemoContext], None]


def sample_lines(manifest: SampleManifest) -> list[str]:
    """A line per file of a sample set: name, records, bytes and the start of its SHA-256."""
    return [
        f"{item.name:<20} {item.records:>12,} records {item.bytes:>14,} bytes  "
        f"sha256 {item.sha256[:16]}"
        for item in manifest.files
    ]


def _record_files(manifest: SampleManifest) -> list[tuple[str, RecordKind]]:
    """The record files of a sample set, in the order they were written, with their kind."""
    by_plural = {kind.plural: kind for kind in KINDS.values()}
    stems = [Path(item.name).stem for item in manifest.files]
    return [(stem, by_plural[stem]) for stem in stems if stem in by_plural]


def _step_generate(ctx: DemoContext) -> None:
    config = sample_config(_DEMO_TRADES, ctx.seed)
    ctx.manifest = write_samples(ctx.out_dir, config, "parquet")
    ctx.say(f"Wrote a synthetic brokerage to {ctx.out_dir} (seed {config.seed}):")
    for line in sample_lines(ctx.manifest):
        ctx.say(line)


def _step_read_back(ctx: DemoContext) -> None:
    if ctx.manifest is None:
        raise RuntimeError("the sample set has not been written yet")
    ctx.firm = Firm.model_validate_json(ctx.manifest.path("firm.json").read_bytes())
    ctx.say(f"{'firm.json':<20} {1:>8,} records {0:>4} errors  ({ctx.firm.name})")
    for stem, kind in _record_files(ctx.manifest):
        batch: RecordBatch[Any] = read_records(ctx.path(stem), kind.model)
        ctx.batches[stem] = batch
        ctx.errors.extend(batch.errors)
        name = ctx.path(stem).name
        ctx.say(f"{name:<20} {len(batch.records):>8,} records {len(batch.errors):>4} errors")
    total = sum(len(batch.records) for batch in ctx.batches.values()) + 1
    ctx.say(f"{total:,} records read back, {len(ctx.errors)} errors.")
    if ctx.errors:
        ctx.problems.append(f"{len(ctx.errors)} records did not read back; first: {ctx.errors[0]}")


def _step_planted(ctx: DemoContext) -> None:
    if ctx.manifest is None:
        raise RuntimeError("the sample set has not been written yet")
    counts = dict.fromkeys(PLANTED_KINDS, 0)
    with open(ctx.manifest.path("planted.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            counts[json.loads(line)["kind"]] += 1
    ctx.say("Violations planted in the data, for the checks to find (planted.jsonl):")
    for kind, count in counts.items():
        ctx.say(f"  {kind:<22} {count:>5}")


def _step_examples(ctx: DemoContext) -> None:
    trades = ctx.batches.get("trades")
    accounts = ctx.batches.get("accounts")
    if trades is None or accounts is None:
        raise RuntimeError("the sample set has not been read back yet")
    trade = next(
        (
            t
            for t in trades.records
            if t.instrument.product is Product.CFD
            and t.instrument.underlying_class is UnderlyingClass.FX_MAJOR
        ),
        trades.records[0],
    )
    account = next(
        (a for a in accounts.records if isinstance(a.holder, NaturalPerson)), accounts.records[0]
    )
    ctx.say("A trade:")
    ctx.say(_indent(_pretty(trade)))
    ctx.say("A person's account:")
    ctx.say(_indent(_pretty(account)))


def _example_policy(name: str) -> str:
    return str(resources.files("regkit.rules") / "examples" / name)


def _step_check(ctx: DemoContext) -> None:
    trades = ctx.batches.get("trades")
    accounts = ctx.batches.get("accounts")
    if trades is None or accounts is None or ctx.manifest is None:
        raise RuntimeError("the sample set has not been read back yet")
    policy = load_policy(_example_policy("esma-leverage.yaml"))
    result = check(policy, trades=trades.records, accounts=accounts.records)
    found = {finding.record_id for finding in result.findings}
    planted = {key for item in _planted(ctx, "leverage_above_cap") for key in item["keys"]}
    ctx.say(
        f"Policy {policy.id} {policy.version}: {len(policy.rules)} rule, sha256 "
        f"{policy.sha256[:12]}"
    )
    ctx.say(
        f"{len(result.findings)} findings; {len(planted)} leverage breaches were planted: "
        f"{len(found & planted)} found, {len(planted - found)} missed, "
        f"{len(found - planted)} found that were not planted."
    )
    if result.findings:
        first = result.findings[0]
        ctx.say(f"  e.g. {first.rule_id} on trade {first.record_id}: {first.message}")
    if found != planted:
        ctx.problems.append("the leverage check does not match the planted breaches")


def _step_structuring(ctx: DemoContext) -> None:
    movements = ctx.batches.get("movements")
    accounts = ctx.batches.get("accounts")
    if movements is None or accounts is None or ctx.manifest is None:
        raise RuntimeError("the sample set has not been read back yet")
    policy = load_policy(_example_policy("aml-structuring.yaml"))
    # The batch path: the movements file as validated columns, windows rolled by polars.
    frames = read_frame(ctx.path("movements"), CashMovement, "raise")
    result = check(policy, movements=frames, accounts=accounts.records, engine="polars")
    python = check(policy, movements=movements.records, accounts=accounts.records)
    episodes = {frozenset(finding.member_ids) for finding in result.findings}
    planted = {frozenset(item["keys"]) for item in _planted(ctx, "structuring")}
    ctx.say(
        f"Policy {policy.id}: an aggregate rule over {len(movements.records):,} movements "
        f"(48-hour windows per account)"
    )
    ctx.say(
        f"{len(result.findings)} episodes; {len(planted)} were planted: "
        f"{len(episodes & planted)} found with exactly their deposits, "
        f"{len(planted - episodes)} missed, {len(episodes - planted)} not planted."
    )
    if result.findings:
        first = result.findings[0]
        ctx.say(f"  e.g. {first.rule_id} on account {first.group_key[0]}: {first.message}")  # type: ignore[index]
        ctx.say(f"       the episode: {', '.join(first.member_ids)}")
    if python.findings != result.findings:
        ctx.problems.append("the python and polars engines found different episodes")
    if episodes != planted:
        ctx.problems.append("the structuring check does not match the planted episodes")


def _step_packs(ctx: DemoContext) -> None:
    if ctx.manifest is None:
        raise RuntimeError("the sample set has not been written yet")
    inputs: dict[str, Any] = {
        stem: read_frame(ctx.path(stem), kind.model, "raise")
        for stem, kind in _record_files(ctx.manifest)
    }
    severities = [severity for severity in Severity if severity is not Severity.ERROR]
    # Checked the morning after the last trading day, as a daily compliance job would.
    last = inputs["trades"].frame.get_column("executed_at").max()
    day = last.date() + timedelta(days=1)
    as_of = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    ctx.say(f"as of {as_of.isoformat().replace('+00:00', 'Z')}")
    ctx.say(f"{'PACK':<20} {'RULES':>5} " + " ".join(f"{s.value:>8}" for s in severities))
    for name in builtin_policies():
        policy = load_policy(name)
        result = check(policy, as_of=as_of, **inputs)
        counts = result.counts_by_severity
        cells = " ".join(f"{counts.get(s.value, 0):>8,}" for s in severities)
        ctx.say(f"{name:<20} {len(policy.rules):>5} {cells}")
        if counts.get(Severity.ERROR.value):
            ctx.problems.append(f"{name}: {counts[Severity.ERROR.value]} rules could not decide")
    ctx.say("Findings per severity; each pack is described in docs/packs/. No transaction")
    ctx.say("reports were given, so mifir-data-quality finds the trades past T+1 unreported.")


def _last_day(ctx: DemoContext) -> tuple[date, list[Trade], datetime]:
    """The sample's last trading day, its trades, and the morning after (reports go out
    T+1, as a daily job would send them)."""
    trades = [trade for trade in ctx.batches["trades"].records if isinstance(trade, Trade)]
    day = max(trade.executed_at for trade in trades).date()
    of_day = [trade for trade in trades if trade.executed_at.date() == day]
    after = day + timedelta(days=1)
    return day, of_day, datetime(after.year, after.month, after.day, 6, tzinfo=UTC)


def _validated(ctx: DemoContext, files: Rendered) -> None:
    for path in files:
        result = validate_xml(path)
        envelope = f" in {result.envelope}" if result.envelope else ""
        verdict = "valid" if result.ok else f"INVALID: {result.problems[0].reason}"
        ctx.say(f"  {path.name}: {result.message}{envelope}, {verdict}")
        if not result.ok:
            ctx.problems.append(f"{path.name} does not validate against its schema")
    ctx.report_files += list(files)
    check = files.content_check
    if check is not None:
        ctx.content_checks.append(check)
        ctx.say(
            f"  checked before writing against {check.policy_id} {check.policy_version} "
            f"({check.rules} rules): {check.passed:,} of {check.checked:,} reports pass"
        )
        if not check.ok:
            ctx.problems.append(f"{check.checked - check.passed} reports break a validation rule")


def _render(ctx: DemoContext, name: str, folder: str) -> tuple[date, list[Trade], Rendered]:
    """The files of one report of the last day's trades, written to ``reports/<folder>``."""
    if ctx.firm is None:
        raise RuntimeError("the sample set has not been read back yet")
    day, of_day, created = _last_day(ctx)
    accounts = ctx.batches["accounts"].records
    out = ctx.out_dir / "reports" / folder
    # The folder is the demo's own: a run of another regkit version left other bytes under
    # the same names, which the renderer rightly refuses to overwrite.
    for old in out.glob("*.xml"):
        old.unlink()
    return (
        day,
        of_day,
        report_type(name).render(of_day, accounts, ctx.firm, out, created_at=created),
    )


def _step_mifir(ctx: DemoContext) -> None:
    day, of_day, files = _render(ctx, "mifir", "mifir")
    ctx.say(
        f"{len(of_day):,} trades of {day.isoformat()}: {files.reported:,} reported, "
        f"{len(files.skipped):,} not reportable"
    )
    _validated(ctx, files)
    _, _, again = _render(ctx, "mifir", "mifir-again")
    same = all(a.read_bytes() == b.read_bytes() for a, b in zip(files, again, strict=True))
    ctx.say(
        f"Rendered twice with the same created_at: {'byte-identical' if same else 'DIFFERENT'}."
    )
    if not same:
        ctx.problems.append("the MiFIR files differ between two runs on the same inputs")


def _step_emir(ctx: DemoContext) -> None:
    day, _, files = _render(ctx, "emir", "emir")
    ctx.say(
        f"{files.reported:,} new derivatives of {day.isoformat()} reported (NEWT), UTIs "
        f"generated from the firm's LEI; {len(files.skipped):,} trades not reported as new:"
    )
    reasons: dict[str, int] = {}
    for item in files.skipped:
        reasons[item.reason] = reasons.get(item.reason, 0) + 1
    for reason, count in reasons.items():
        ctx.say(f"  {count:,} {reason}")
    _validated(ctx, files)


def _step_pack(ctx: DemoContext) -> None:
    if ctx.firm is None:
        raise RuntimeError("the sample set has not been read back yet")
    day, of_day, created = _last_day(ctx)
    policy = load_policy("esma-cfd-retail")
    accounts = [a for a in ctx.batches["accounts"].records if isinstance(a, Account)]
    snapshots = [
        s
        for s in ctx.batches["snapshots"].records
        if isinstance(s, AccountSnapshot) and s.at.date() == day
    ]
    result = check(policy, trades=of_day, accounts=accounts, snapshots=snapshots, as_of=created)
    path = audit_pack.build(
        result,
        ctx.out_dir / "audit-pack.zip",
        attachments=ctx.report_files,
        content_checks=ctx.content_checks,
        inputs={"trades": of_day, "accounts": accounts, "snapshots": snapshots},
        title=f"{ctx.firm.name}: retail CFD checks of {day.isoformat()}",
        policies=[policy],
        organization=ctx.firm.name,
    )
    verified = audit_pack.verify(path)
    ctx.say(
        f"{path}: {len(result.findings):,} findings of {policy.id} {policy.version}, "
        f"{len(ctx.report_files)} regulator files, {verified.files} files in the bag"
    )
    ctx.say(f"regkit verify: {verified.summary('--public-key')}")
    if not verified.ok:
        ctx.problems.append(f"the audit pack does not verify: {verified.lines()[:3]}")
    tampered = ctx.out_dir / "audit-pack-tampered.zip"
    _tamper(path, tampered, "data/findings.csv")
    caught = audit_pack.verify(tampered)
    ctx.say("A copy with one byte of data/findings.csv changed:")
    for line in caught.lines()[:3]:
        ctx.say(f"  {line}")
    if caught.ok:
        ctx.problems.append("a tampered audit pack verified as intact")


def _tamper(source: Path, target: Path, name: str) -> None:
    """A copy of a zip with the first byte of one entry changed."""
    with zipfile.ZipFile(source) as reader, zipfile.ZipFile(target, "w") as writer:
        for info in reader.infolist():
            data = reader.read(info)
            if info.filename == name and data:
                data = bytes([data[0] ^ 1]) + data[1:]
            writer.writestr(info, data)


def _planted(ctx: DemoContext, kind: str) -> list[dict[str, Any]]:
    assert ctx.manifest is not None
    items = []
    with open(ctx.manifest.path("planted.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            if item["kind"] == kind:
                items.append(item)
    return items


def _pretty(record: Record) -> str:
    return json.dumps(
        record.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


#: The steps of ``regkit demo``, in order. Each capability adds its own step here.
def _step_store(ctx: DemoContext) -> None:
    """Two days' checks kept in a history store under the demo folder: the second sees the
    first's breaches again, a case is worked and closed, and the audit pack of the two days
    is built from the store."""
    from regkit.store import open_store

    trades, accounts = ctx.batches.get("trades"), ctx.batches.get("accounts")
    if trades is None or accounts is None:
        raise RuntimeError("the sample set has not been read back yet")
    path = ctx.out_dir / "regkit.db"
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.inputs")):
        if stale.is_file():
            stale.unlink()  # the demo's own store, from an earlier run
    policy = load_policy("esma-cfd-retail")
    owner: dict[str, str] = {trade.trade_id: trade.account_id for trade in trades.records}
    day, _, _ = _last_day(ctx)

    def account_of(finding: Finding) -> str | None:
        return owner.get(finding.record_id, finding.record_id)

    with open_store(path) as store:
        runs = []
        for as_of in (day, day + timedelta(days=1)):
            result = check(policy, trades=trades.records, accounts=accounts.records, as_of=as_of)
            runs.append(store.record(result, account_of=account_of, by="demo"))
            ctx.say(f"Run of {as_of}: {runs[-1].findings} findings: {runs[-1].new} new, "
                    f"{runs[-1].seen} seen again, {runs[-1].gone} gone; "
                    f"{runs[-1].cases_opened} cases opened")  # fmt: skip
        open_cases = store.cases()
        if not open_cases:
            ctx.problems.append("the store opened no case for the high findings")
            return
        case = store.close_case(open_cases[0].case_id, "false_positive", by="demo",
                                note="closed by the demo")  # fmt: skip
        log = store.verify()
    ctx.say(f"Case {case.case_id} ({case.rule_id}, account {case.account_id}): "
            f"closed as {case.resolution}; {len(open_cases) - 1} cases still open")  # fmt: skip
    ctx.say(f"The case log: {log.events} events, {'intact' if log.ok else 'BROKEN'} ({path})")
    if runs[1].new or runs[1].seen != runs[0].findings or not log.ok:
        ctx.problems.append("the second run did not see the first run's breaches again")
    first = min(trade.executed_at for trade in trades.records).date()
    _store_pack(ctx, path, (first, day + timedelta(days=1)), case.case_id)


def _store_pack(ctx: DemoContext, store: Path, period: tuple[date, date], closed: int) -> None:
    """The audit pack of the sample's days, built from the store, and verified: it holds
    the case closed, with its events."""
    first, last = period
    out = ctx.out_dir / "store-pack.zip"
    done = pack_from_store(out=out, store=store, start=first, end=last)
    checked = audit_pack.verify(done.path)
    with zipfile.ZipFile(done.path) as archive:
        stored = json.loads(archive.read("data/store/cases.json"))
    events = sum(len(case["events"]) for case in stored["cases"])
    ctx.say(f"Audit pack of {first} to {last} from the store: {len(done.result.findings)} "
            f"findings, {len(stored['cases'])} cases with {events} events; "
            f"{'verified' if checked.ok else 'NOT VERIFIED'} ({out.name})")  # fmt: skip
    shown = {case["case_id"]: [event["action"] for event in case["events"]]
             for case in stored["cases"]}  # fmt: skip
    if not checked.ok or "closed" not in shown.get(closed, []):
        ctx.problems.append(f"the audit pack from the store did not verify or lacks case {closed}")


def _step_ledger(ctx: DemoContext) -> None:
    """The day's reports in the store's submissions ledger, the regulators' answers, the
    status of every transaction, the rejected ones fixed and sent again, accepted."""
    step_ledger(ctx, _last_day(ctx))


DEMO_STEPS: list[DemoStep] = [
    DemoStep("Generate a sample brokerage", _step_generate),
    DemoStep("Read every file back into typed records", _step_read_back),
    DemoStep("Planted violations", _step_planted),
    DemoStep("Example records", _step_examples),
    DemoStep("Check the trades against the ESMA retail leverage caps", _step_check),
    DemoStep("Find structuring: deposits split under the threshold", _step_structuring),
    DemoStep("Run every built-in policy pack on the sample data", _step_packs),
    DemoStep("Write the day's MiFIR transaction reports and validate them", _step_mifir),
    DemoStep("Write the day's EMIR REFIT reports of new derivatives", _step_emir),
    DemoStep("Build an audit pack of the day and verify it", _step_pack),
    DemoStep(
        "Keep two days' checks in a history store, work a case, and pack the two days",
        _step_store,
    ),
    DemoStep(
        "Keep the day's reports in the submissions ledger, ingest the regulators' answers, "
        "resubmit what they rejected",
        _step_ledger,
    ),
]


def demo(
    out: str | os.PathLike[str],
    *,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
    context: DemoContext | None = None,
) -> DemoContext:
    """Run every step of the demo (what ``regkit demo`` does): write a small sample
    brokerage to ``out`` and walk through each capability on it.

    Args:
        out: the folder to write to.
        seed: the sample seed.
        progress: told each line of the demo (its steps' titles, then what each found).
        context: a context to run in instead of a new one (``out``, ``seed`` and
            ``progress`` are then the context's).

    Returns:
        The context: what was written and read, and ``problems``: what went wrong (empty
        when every step found what it should).

    Examples:
        >>> import tempfile
        >>> lines = []
        >>> ctx = demo(tempfile.mkdtemp(), progress=lines.append)  # doctest: +SKIP
        >>> ctx.problems, lines[0]  # doctest: +SKIP
        ([], '== 1. Generate a sample brokerage')
    """
    if context is None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"seed must be a whole number, got {type(seed).__name__}")
        context = DemoContext(out_dir=as_path("out", out), seed=seed, progress=progress)
    for number, step in enumerate(DEMO_STEPS, start=1):
        context.say(f"== {number}. {step.title}")
        step.run(context)
        context.say()
    if not context.problems:
        context.say(
            f"Demo complete: {len(DEMO_STEPS)} steps, no errors. Files are in {context.out_dir}."
        )
    return context

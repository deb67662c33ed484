"""The demo's submissions ledger step: the day's reports recorded in the store, the
regulators' answers ingested, the status of every transaction, the rejected ones fixed and
sent again, and their acceptance."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from regkit.jobs._ledger import (
    LedgerRun,
    expected_transactions,
    read_received,
    resubmit_from,
)
from regkit.reports.registry import report_type
from regkit.schemas.firm import Firm
from regkit.schemas.trade import Trade

if TYPE_CHECKING:
    from regkit.jobs._demo import DemoContext
    from regkit.store import Store, TransactionState

__all__ = ["step_ledger"]

#: The rejections the demo's regulators send, by regime: the rule and its text. An NCA
#: refuses a CFD whose underlying share is not in FIRDS (CON-472, RTS 22 field 47); a trade
#: repository the same derivative's underlying identification (EMIR-VR-2014-01, REFIT 2.14).
_REJECTIONS: Final = {
    "mifir": ("CON-472", "The underlying instrument is not in FIRDS reference data"),
    "emir": ("EMIR-VR-2014-01", "The underlying identification is not valid"),
}
#: How many of the day's reports each regulator rejects.
_REJECTED: Final = {"mifir": 2, "emir": 1}


def _keywords(name: str) -> dict[str, Any]:
    kind = report_type(name)
    return kind.keywords({option.name: option.default for option in kind.options})


def step_ledger(
    ctx: DemoContext,
    last_day: tuple[date, list[Trade], datetime],
    store_url: str | os.PathLike[str] | None = None,
) -> None:
    """The demo's step (see the module's docstring), on a store (default: the store of the
    step before, ``regkit.db`` in the demo's folder)."""
    from regkit.store import open_store

    if ctx.firm is None or ctx.manifest is None:
        raise RuntimeError("the sample set has not been read back yet")
    day, of_day, created = last_day
    accounts = ctx.batches["accounts"].records
    folder = ctx.out_dir / "ledger"
    for old in folder.rglob("*.xml") if folder.is_dir() else ():
        old.unlink()
    with open_store(store_url or ctx.out_dir / "regkit.db") as store:
        sent = {}
        for name in ("mifir", "emir"):
            run = LedgerRun(name, report_type(name).render, accounts, ctx.firm, created, store)
            files = run(of_day, folder / name, **_keywords(name))
            sent[name] = files
            ctx.say(f"{name}: {files.reported:,} reports of {day} in {len(files)} file(s), "
                    "numbered by the store and kept in its ledger")  # fmt: skip
        rejected = _answer(ctx, store, folder, created, of_day)
        as_of = created.date()
        expected = expected_transactions(ctx.path("trades"))
        _status(ctx, store, as_of, expected, "after the regulators' answers")
        fixed = _fix(of_day, rejected)
        again = created + timedelta(hours=6)
        for name in ("mifir", "emir"):
            run = LedgerRun(name, report_type(name).render, accounts, ctx.firm, again, store)
            done = resubmit_from(run, fixed, folder / name, _keywords(name))
            counts = Counter(action for action, _ in done.plan.send.values())
            shown = ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
            ctx.say(f"{name} resubmission: {shown} in {', '.join(p.name for p in done)}")
        _accept(ctx, store, folder, again, ctx.firm)
        states = _status(ctx, store, as_of, expected, "after the resubmissions were accepted")
    if any(state.state == "rejected" for state in states):
        ctx.problems.append("a rejected transaction is still rejected after its correction")
    if sum(state.state == "corrected" for state in states) != sum(_REJECTED.values()):
        ctx.problems.append("the ledger does not hold every correction as accepted")


def _answer(
    ctx: DemoContext, store: Store, folder: Path, created: datetime, of_day: Sequence[Trade]
) -> set[str]:
    """The regulators' answers to the day's files: most accepted, some rejected (CFDs on
    shares, whose underlying the regulator does not find); each ingested. Returns the
    trade ids rejected."""
    from regkit.samples.feedback import Verdict, emir_rejections, mifir_status_advice

    assert ctx.firm is not None
    on_shares = {trade.trade_id for trade in of_day if trade.instrument.underlying_isin}
    answered = created + timedelta(hours=18)
    rejected: set[str] = set()
    paths = []
    for submission in store.submissions(start=created.date(), end=created.date()):
        sent = store.transmissions(regime=submission.regime)
        mine = [t for t in sent if t.submission_id == submission.submission_id]
        chosen = [t for t in mine if t.trade_id in on_shares][: _REJECTED[submission.regime]]
        rejected |= {str(t.trade_id) for t in chosen}
        rule = (_REJECTIONS[submission.regime],)
        if submission.regime == "mifir":
            data = mifir_status_advice(
                submitted_message=submission.message_id,
                verdicts=[Verdict(t.reference, "RJCT", rule) for t in chosen],
                created=answered, authority=ctx.firm.report_recipient, firm=ctx.firm.lei,
                feedback_id=_feedback_id("NCA", submission.day, submission.sequence),
                file_status="PART",
            )  # fmt: skip
        else:
            data = emir_rejections(
                reference_date=submission.day, reporting_counterparty=ctx.firm.lei,
                messages=[], verdicts=[Verdict(t.reference, "RJCT", rule, "NEWT") for t in chosen],
                created=answered,
                feedback_id=_feedback_id("TR", submission.day, submission.sequence),
                accepted_reports=1, accepted_transactions=len(mine) - len(chosen),
            )  # fmt: skip
        paths.append(_written(folder / "feedback" / f"{submission.message_id}.answer.xml", data))
    _ingested(ctx, paths, store)
    return rejected


def _feedback_id(sender: str, day: date, sequence: int) -> str:
    """A feedback file's own id (``BizMsgIdr``, 35 characters at most)."""
    return f"{sender}-{day:%Y%m%d}-{sequence:06d}"


def _written(path: Path, data: bytes) -> Path:
    from regkit.samples.feedback import write_feedback

    path.parent.mkdir(parents=True, exist_ok=True)
    return write_feedback(path, data)


def _ingested(ctx: DemoContext, paths: list[Path], store: Store) -> None:
    for done in (store.ingest(read_received(path)) for path in paths):
        ctx.say(f"  {done.file_name}: {done.matched:,} status(es) matched, {done.inferred:,} "
                f"inferred, {done.unmatched:,} unmatched")  # fmt: skip
        if done.unmatched:
            ctx.problems.append(f"{done.file_name}: feedback the ledger could not match")


def _fix(of_day: Sequence[Trade], rejected: set[str]) -> list[Trade]:
    """The day's trades with the rejected ones' underlying corrected (the desk's fix: the
    ISIN of another share of the sample, which FIRDS holds)."""
    shares = sorted({t.instrument.underlying_isin for t in of_day if t.instrument.underlying_isin})
    fixed = []
    for trade in of_day:
        if trade.trade_id in rejected:
            current = trade.instrument.underlying_isin
            other = next(isin for isin in shares if isin != current)
            instrument = trade.instrument.model_copy(update={"underlying_isin": other})
            trade = trade.model_copy(update={"instrument": instrument})
        fixed.append(trade)
    return fixed


def _accept(ctx: DemoContext, store: Store, folder: Path, sent: datetime, firm: Firm) -> None:
    """The regulators accept the resubmissions: the NCA each file, the trade repository
    the day (its rejection report for the day lists none)."""
    from regkit.samples.feedback import emir_rejections, mifir_status_advice

    answered = sent + timedelta(hours=12)
    resent = [s for s in store.submissions(start=sent.date(), end=sent.date())
              if s.purpose == "resubmission"]  # fmt: skip
    paths = []
    for submission in (s for s in resent if s.regime == "mifir"):
        data = mifir_status_advice(
            submitted_message=submission.message_id, verdicts=[], created=answered,
            authority=firm.report_recipient, firm=firm.lei,
            feedback_id=_feedback_id("NCA", submission.day, submission.sequence),
            file_status="ACPT",
        )  # fmt: skip
        paths.append(_written(folder / "feedback" / f"{submission.message_id}.answer.xml", data))
    emir = [s for s in resent if s.regime == "emir"]
    if emir:
        data = emir_rejections(
            reference_date=sent.date(), reporting_counterparty=firm.lei, messages=[],
            verdicts=[], created=answered, feedback_id=_feedback_id("TR", sent.date(), 0),
            accepted_reports=len(emir), accepted_transactions=sum(s.records for s in emir),
        )  # fmt: skip
        paths.append(_written(folder / "feedback" / f"DATREJ_{sent:%Y%m%d}.xml", data))
    _ingested(ctx, paths, store)


def _status(
    ctx: DemoContext, store: Store, as_of: date, expected: Sequence[Any], when: str
) -> list[TransactionState]:
    """The status table's counts, and its rejected and first late rows."""
    states = [
        state
        for regime in ("mifir", "emir")
        for state in store.transactions(regime, as_of=as_of, expected=expected)
    ]
    ctx.say(f"Status on {as_of} ({when}):")
    for regime in ("mifir", "emir"):
        mine = [state for state in states if state.regime == regime]
        counts = Counter(state.state for state in mine)
        late = sum(state.late for state in mine)
        shown = ", ".join(f"{n:,} {name}" for name, n in sorted(counts.items()))
        ctx.say(f"  {regime}: {shown}; {late:,} late")
    for state in [s for s in states if s.state == "rejected"] + [s for s in states if s.late][:2]:
        rules = "; ".join(rule for rule, _ in state.rules)
        traded = "" if state.traded_at is None else f"{state.traded_at.astimezone(UTC):%Y-%m-%d}"
        ctx.say(f"    {state.regime} {state.reference} traded {traded} {state.state}"
                f"{' late' if state.late else ''} (age {state.bucket} working days)"
                f"{': ' + rules if rules else ''}")  # fmt: skip
    return states

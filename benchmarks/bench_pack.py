"""Audit packs: build time and peak memory for one million trades and their findings.

The trades come from the sample brokerage (:mod:`regkit.samples`): a pool of
generated trades is cycled, each copy with a trade id of its own, so that a million trades
stream into ``data/inputs/trades.jsonl`` without being held in memory. The findings are
synthesized (one per ``--every`` trades, over the ESMA CFD rules, with evidence and a
citation), as a check of that many trades would hold them in its ``CheckResult``; the
input fingerprint is computed before the clock starts, as ``rk.check`` would have.

Two modes, each in a fresh process so that one does not inherit the other's peak:
``records`` (the trades go into the pack) and ``fingerprints`` (only their SHA-256 and
count). Peak memory is ``ru_maxrss``; "before" is the resident size once the pool and the
findings are built, so the difference is what building the pack costs.

Run: ``.venv/bin/python benchmarks/bench_pack.py --trades 1000000``.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import regkit as rk
from regkit.reports import audit_pack
from regkit.samples import SampleConfig, generate

POOL = 20_000
RULES = (
    ("ESMA-CFD-LEV", "high", "Art. 2(a) and Annex I"),
    ("ESMA-CFD-CLOSEOUT", "critical", "Art. 2(b)"),
    ("ESMA-CFD-NBP", "high", "Art. 2(c)"),
    ("ESMA-CFD-BONUS", "medium", "Art. 2(e)"),
)
MIFIR = Path(__file__).parents[1] / "tests/reports/data/mifir_auth016_new_equity_cfd_minimal.xml"


def stream(pool: list[rk.Trade], count: int) -> Iterator[rk.Trade]:
    """``count`` trades: the pool over and over, each copy with its own trade id (copied the
    way pydantic's ``__copy__`` does, without validating again)."""
    size = len(pool)
    setattr_ = object.__setattr__
    for number in range(count):
        trade = pool[number % size]
        copied = object.__new__(rk.Trade)
        setattr_(copied, "__dict__", {**trade.__dict__, "trade_id": f"B{number:011d}"})
        setattr_(copied, "__pydantic_fields_set__", trade.__pydantic_fields_set__)
        setattr_(copied, "__pydantic_extra__", None)
        setattr_(copied, "__pydantic_private__", None)
        yield copied


def findings(pool: list[rk.Trade], count: int, every: int) -> list[rk.Finding]:
    """One finding per ``every`` trades, as the check would have raised them."""
    made = []
    for number in range(0, count, every):
        trade = pool[number % len(pool)]
        rule_id, severity, article = RULES[(number // every) % len(RULES)]
        made.append(
            rk.Finding(
                rule_id=rule_id,
                severity=severity,
                record_kind="trade",
                record_id=f"B{number:011d}",
                message=f"leverage {trade.leverage}:1 above the cap",
                evidence={"trade.leverage": trade.leverage or Decimal(1), "symbol": "EURUSD"},
                reference={"regulator": "ESMA", "document": "Decision (EU) 2018/796"}
                | {"article": article},
                rule_version="2026.1",
                at=trade.executed_at,
            )
        )
    return made


def fingerprint(trades: Iterator[rk.Trade]) -> str:
    digest = hashlib.sha256()
    for trade in trades:
        digest.update(trade.to_json().encode("utf-8") + b"\n")
    return digest.hexdigest()


def peak_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(count: int, mode: str, every: int) -> None:
    pool = generate(SampleConfig(trades=POOL)).trades
    policy = rk.load_policy("esma-cfd-retail")
    found = findings(pool, count, every)
    moment = datetime(2026, 11, 30, tzinfo=UTC)
    result = rk.CheckResult(
        findings=found,
        policy_id=policy.id,
        policy_version=policy.version,
        policy_sha256=policy.sha256,
        started_at=moment,
        finished_at=moment,
        rules_evaluated=tuple(rule.id for rule in policy.rules),
        records_checked={"trade": count},
        input_fingerprints={"trades": fingerprint(stream(pool, count))},
    )
    before = peak_mb()
    inputs = {"trades": stream(pool, count)} if mode == "records" else "fingerprints"
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        pack = audit_pack.build(
            result, Path(out) / "pack.zip", inputs=inputs, attachments=[MIFIR], policies=policy
        )
        elapsed = time.perf_counter() - started
        size = pack.stat().st_size
        started = time.perf_counter()
        checked = audit_pack.verify(pack)
        verified = time.perf_counter() - started
    assert checked.ok, checked.lines()
    print(
        f"{mode:<13} {count:,} trades, {len(found):,} findings: built in {elapsed:.1f} s "
        f"({size / 1e6:,.0f} MB pack), verified in {verified:.1f} s; peak memory "
        f"{peak_mb():.0f} MB ({before:.0f} MB before the build)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=20, help="one finding per N trades")
    parser.add_argument("--mode", choices=("both", "records", "fingerprints"), default="both")
    args = parser.parse_args()
    if args.mode != "both":
        run(args.trades, args.mode, args.every)
        return
    print(f"building audit packs for {args.trades:,} trades")
    for mode in ("records", "fingerprints"):
        command = [sys.executable, __file__, "--trades", str(args.trades), "--mode", mode]
        subprocess.run([*command, "--every", str(args.every)], check=True)


if __name__ == "__main__":
    main()

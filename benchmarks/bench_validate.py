"""Seconds to validate hostile regulator files: many invalid values, many attributes.

Each file is an auth.092 rejection feedback (the kind regkit reads from outside) made invalid
in one of two ways, at growing sizes:

* ``values``: N derivatives, each with a status that is not a code (``<Sts>NOPE</Sts>``);
* ``attributes``: one element with N attributes the schema does not allow.

:func:`regkit.reports.xml.validate` lists at most ``max_problems`` of the problems and counts
the rest; the time it takes should grow with the file, not with the square of the problems.
The schema is compiled, and xmlschema built, before timing. Each size runs in a fresh process.

Run: ``.venv/bin/python benchmarks/bench_validate.py --values 1000 10000 --attributes 1000 10000``.

``--large MB`` (issue 17) instead validates a MiFIR file of about that size: a rendered file
of 3,000 sample trades with its ``Tx`` repeated (each a line of its own, as the renderer
writes them), once valid and once with one bad LEI near the end (which is read twice: the
stream, then the chunks to locate the problem). It prints MB/s and the peak memory of the
process that validated (each run in a fresh process, the file made in another).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _memory import peak_mb

from regkit.reports import xml
from regkit.reports.emir.feedback import _EXAMPLE

_HEAD, _, _TAIL = _EXAMPLE.partition(b"<TxsRjctnsRsn>")
_ENTRY, _, _REST = _TAIL.partition(b"</TxsRjctnsRsn>")


def invalid_values(count: int) -> bytes:
    """A feedback with ``count`` derivatives, each with an invalid status."""
    entry = b"<TxsRjctnsRsn>" + _ENTRY.replace(b"<Sts>RJCT</Sts>", b"<Sts>NOPE</Sts>")
    return _HEAD + (entry + b"</TxsRjctnsRsn>") * count + _REST


def attributes(count: int) -> bytes:
    """A feedback whose report element carries ``count`` attributes it may not have."""
    names = b"".join(b' a%d="v"' % number for number in range(count))
    report = b"<DerivsTradRjctnSttstclRpt"
    return _EXAMPLE.replace(report + b">", report + names + b">", 1)


KINDS = {"values": invalid_values, "attributes": attributes}


def run(kind: str, count: int) -> None:
    document = KINDS[kind](count)
    xml.validate(_EXAMPLE)
    xml.schema("auth.092").xmlschema  # built once per process, not part of the time  # noqa: B018
    started = time.perf_counter()
    result = xml.validate(document)
    elapsed = time.perf_counter() - started
    print(
        f"{kind:<10} {count:>9,}  {len(document) / 1e6:6.1f} MB  {elapsed:8.2f} s  "
        f"{len(result.problems)} listed, {result.unlisted:,} more"
    )


def large_file(path: Path, megabytes: int, *, broken: bool) -> int:
    """Write a MiFIR file of about ``megabytes`` MB; return how many ``Tx`` it holds."""
    from bench_mifir import reportable

    from regkit.reports import mifir
    from regkit.samples import SampleConfig, generate

    sample = generate(SampleConfig(trades=3_000))
    pool = [trade for trade in sample.trades if reportable(trade)]
    with tempfile.TemporaryDirectory() as out:
        [rendered] = mifir.render(pool, sample.accounts, sample.firm, out, check=False)
        data = rendered.read_bytes()
    head, _, rest = data.partition(b"<Tx>")
    body, _, tail = (b"<Tx>" + rest).rpartition(b"</FinInstrmRptgTxRpt>")
    copies = max(1, megabytes * 1_000_000 // len(body))
    with open(path, "wb") as handle:
        handle.write(head)
        for number in range(copies):
            if broken and number == copies - 1:
                body = body.replace(b"<LEI>", b"<LEI>bad", 1)
            handle.write(body)
        handle.write(b"</FinInstrmRptgTxRpt>" + tail)
    return copies * (body.count(b"<Tx><New>") + body.count(b"<Tx><Cxl>"))


def run_large(path: Path) -> None:
    """Validate one large file in this process and print the rate and peak memory."""
    size = path.stat().st_size
    started = time.perf_counter()
    result = xml.validate(path)
    elapsed = time.perf_counter() - started
    verdict = "valid" if result.ok else f"{len(result.problems)} problem(s)"
    print(
        f"{size / 1e6:8,.0f} MB  {elapsed:7.1f} s  {size / 1e6 / elapsed:6.1f} MB/s  "
        f"peak memory {peak_mb():6,.0f} MB  {verdict}"
    )


def large(megabytes: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for broken in (False, True):
            path = Path(folder) / f"large_{broken}.xml"
            records = large_file(path, megabytes, broken=broken)
            label = "one bad LEI near the end" if broken else "valid"
            print(f"{label}: {records:,} Tx", flush=True)
            subprocess.run([sys.executable, __file__, "--large-one", str(path)], check=True)
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, nargs="*", default=[1_000, 10_000])
    parser.add_argument("--attributes", type=int, nargs="*", default=[1_000, 10_000])
    parser.add_argument("--one", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    parser.add_argument("--large", type=int, metavar="MB", help="validate a MiFIR file of MB")
    parser.add_argument("--large-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.large_one:
        run_large(args.large_one)
        return
    if args.large:
        large(args.large)
        return
    if args.one:
        run(args.one[0], int(args.one[1]))
        return
    for kind, counts in (("values", args.values), ("attributes", args.attributes)):
        for count in counts:
            command = [sys.executable, __file__, "--one", kind, str(count)]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()

"""Seconds to validate hostile regulator files: many invalid values, many attributes.

Each file is an auth.092 rejection feedback (the kind regkit reads from outside) made invalid
in one of two ways, at growing sizes:

* ``values``: N derivatives, each with a status that is not a code (``<Sts>NOPE</Sts>``);
* ``attributes``: one element with N attributes the schema does not allow.

:func:`regkit.reports.xml.validate` lists at most ``max_problems`` of the problems and counts
the rest; the time it takes should grow with the file, not with the square of the problems.
The schema is compiled, and xmlschema built, before timing. Each size runs in a fresh process.

Run: ``.venv/bin/python benchmarks/bench_validate.py --values 1000 10000 --attributes 1000 10000``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--values", type=int, nargs="*", default=[1_000, 10_000])
    parser.add_argument("--attributes", type=int, nargs="*", default=[1_000, 10_000])
    parser.add_argument("--one", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run(args.one[0], int(args.one[1]))
        return
    for kind, counts in (("values", args.values), ("attributes", args.attributes)):
        for count in counts:
            command = [sys.executable, __file__, "--one", kind, str(count)]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()

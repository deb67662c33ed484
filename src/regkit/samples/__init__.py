"""A deterministic synthetic brokerage: firm, instruments, accounts, trades, cash and snapshots.

The data are for the demo, the tests and the benchmarks. Everything comes from seeded
``random.Random`` streams (never the global generator, never the clock), so the same
:class:`SampleConfig` gives the same records and the same file bytes on every machine.

The brokerage is made to be checked. Known violations are planted at configured rates and
listed as :class:`Planted` records, and the rest of the data is built not to show those
patterns, so a rule can be tested against the truth:

* ``leverage_above_cap``: a retail CFD opening with leverage above ESMA's cap for its class;
  every other retail CFD opening is within its cap.
* ``structuring``: 3 to 5 deposits of EUR 9,000-9,990 within 48 hours on one account;
  no other deposit is between 9,000 and 10,000 in any currency.
* ``expired_kyc``: an account whose KYC expired before it traded; every other trading
  account's KYC is verified and valid over the whole period.
* ``negative_equity``: a retail account's end-of-day snapshot with equity below zero; every
  other snapshot has equity at or above zero (and above half the margin required).
* ``third_party_payer``: a deposit paid by somebody other than the holder; every other
  payment names the holder.
* ``bonus_to_retail``: a bonus paid to a retail account; other bonuses go to professional
  clients and eligible counterparties only.

The instruments are what a broker's instrument master holds: most give no CFI or full name
(reports derive them, RTS 22 fields 42-43), CFDs on shares have no ISIN of their own and
name the share's as their underlying (field 47), and spread bets stake a sum per point
(field 30, a monetary value, in the market's currency or the account's). Every trade is
dealt on own account and names who decided and who executed within the firm (fields
57-60: a trader or an algorithm).

Rates are integers per thousand (``leverage_breach_per_mille=20`` is 2%). Account-level
kinds take that share of the eligible accounts, at least one when the rate is positive;
leverage breaches are spread evenly, one every 1000/rate retail CFD openings of each block
of 2,000 accounts.

The package is split by what each part makes: the configuration (``_config``) and what
comes back (``_results``), instruments, account holders, the account plan and accounts, cash
movements, trades, the brokerage that runs them (``_brokerage``), the worker processes
(``_workers``) and the files (``_files``, ``_writing``).

This is the second version of the sample brokerage (issue 17): made to be generated in
parallel, with the same bytes whatever the number of processes. Every random stream
belongs to a fixed unit of the work, seeded from the seed and the unit's number: a range
of 100,000 trades has the stream of its times and accounts (trade numbers rise with time),
a block of 2,000 accounts the stream of what its accounts trade (so an account's positions
and margin stay in one process), an instrument the stream of its mid, minute by minute;
accounts, holders, cash and end-of-day P&L have their own per account. Trades are
simulated in integers (ticks, cents, quantity steps) and made text by polars expressions;
an account's movements are numbered after it (``M000042003`` is A000042's third).

:func:`write_samples` shares the blocks out to worker processes (one per core from 200,000
trades): each writes its blocks' accounts, movements and snapshots as parts, joined in
block order, and gives its blocks' trades range by range; no file is held in memory, and no
worker runs more than a few ranges ahead of the writing.

Examples:
    >>> from regkit.samples import SampleConfig, generate
    >>> sample = generate(SampleConfig(trades=200))
    >>> len(sample.trades), sample.trades[0].trade_id
    (200, 'T000000001')
    >>> sorted({p.kind for p in sample.planted})[:2]
    ['bonus_to_retail', 'expired_kyc']
"""

from regkit.samples._brokerage import generate
from regkit.samples._config import (
    DEFAULT_SEED,
    PLANTED_KINDS,
    PlantedKind,
    RecordKind,
    SampleConfig,
)
from regkit.samples._files import ACCOUNT_COLUMNS, write_samples
from regkit.samples._instruments import ESMA_RETAIL_LEVERAGE_CAPS
from regkit.samples._results import Planted, SampleFile, SampleManifest, SampleSet

__all__ = [
    "ACCOUNT_COLUMNS",
    "DEFAULT_SEED",
    "ESMA_RETAIL_LEVERAGE_CAPS",
    "PLANTED_KINDS",
    "Planted",
    "PlantedKind",
    "RecordKind",
    "SampleConfig",
    "SampleFile",
    "SampleManifest",
    "SampleSet",
    "generate",
    "write_samples",
]

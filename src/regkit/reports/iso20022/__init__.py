"""The ISO 20022 layer that MiFIR and EMIR reports share.

* :mod:`~regkit.reports.iso20022.envelope`: the ``BizData`` envelope (head.003) and the
  business application header (head.001) of a file written.
* :mod:`~regkit.reports.iso20022.reading`: safe reading of regulator files (parse safely,
  find the message, validate, read the header) and the helpers that read elements.
* :mod:`~regkit.reports.iso20022.codes`: the code lists both regimes use (option types,
  exercise styles, delivery types, the venue of a trade).
* :mod:`~regkit.reports.iso20022.files`: the dated sequence that ends report file names,
  and how a run numbers its files (:func:`numbering`: from a first number, or a store).
* :mod:`~regkit.reports.iso20022.feedback`: one feedback model: statuses with one meaning
  (:data:`OUTCOMES`), :class:`ValidationRule`, latest status wins (:func:`latest`), and
  one :func:`reconcile` of items keyed by a reference (MiFIR's transaction reference,
  EMIR's UTI, or any statement's key).

Examples:
    >>> outcome_of("RJCT"), sorted(OPTION_TYPES.values())
    (<Outcome.REJECTED: 'rejected'>, ['CALL', 'PUTO'])
"""

from regkit.reports.iso20022.codes import (
    CASH_SETTLED,
    DELIVERY,
    EXERCISE_STYLES,
    OPTION_TYPES,
    delivery,
    venue,
)
from regkit.reports.iso20022.envelope import HEAD001, HEAD003, app_header, business_data
from regkit.reports.iso20022.feedback import (
    OUTCOMES,
    Matched,
    Outcome,
    Refused,
    Status,
    ValidationRule,
    held_unmatched,
    latest,
    outcome_of,
    reconcile,
    supersedes,
)
from regkit.reports.iso20022.files import MAX_SEQUENCE, Numbering, dated_sequence, numbering
from regkit.reports.iso20022.reading import (
    Header,
    Message,
    Source,
    read_header,
    read_message,
)

__all__ = [
    "CASH_SETTLED",
    "DELIVERY",
    "EXERCISE_STYLES",
    "HEAD001",
    "HEAD003",
    "MAX_SEQUENCE",
    "OPTION_TYPES",
    "OUTCOMES",
    "Header",
    "Matched",
    "Message",
    "Numbering",
    "Outcome",
    "Refused",
    "Source",
    "Status",
    "ValidationRule",
    "app_header",
    "business_data",
    "dated_sequence",
    "delivery",
    "held_unmatched",
    "latest",
    "numbering",
    "outcome_of",
    "read_header",
    "read_message",
    "reconcile",
    "supersedes",
    "venue",
]

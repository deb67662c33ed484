"""What the synthetic regulator files share: auth.092's and auth.107's action types
(``TransactionOperationType10Code``) and the schemas' patterns of a UTI and an LEI (an id
that does not match goes in the message's proprietary or other form)."""

from __future__ import annotations

import re
from typing import Final

ACTION_TYPES: Final = (
    "NEWT",
    "MODI",
    "CORR",
    "TERM",
    "EROR",
    "POSC",
    "VALU",
    "REVI",
    "COMP",
    "OTHR",
    "MARU",
    "PRTO",
)
UTI: Final = re.compile(r"[A-Z0-9]{18}[0-9]{2}[A-Z0-9]{0,32}")
LEI: Final = re.compile(r"[A-Z0-9]{18}[0-9]{2}")

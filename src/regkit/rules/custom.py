"""Python rules: logic that outgrows an expression, with the metadata of a YAML rule.

A Python rule is a function of the names a YAML rule of the same kind sees (the record, its
``account``, ``params``, ``as_of``), registered with :func:`rule` and added to a policy with
:meth:`Policy.with_rules <regkit.rules.policy.Policy.with_rules>` (or
``load_policy(path, rules=[...])``)::

    from regkit.rules import Fail, rule

    @rule("KYC-AGE", applies_to="account", severity="high", title="Client under 18",
          reference={"regulator": "EU", "document": "Directive 2014/65/EU", "article": "25"})
    def adult(account, as_of):
        born = getattr(account.holder, "date_of_birth", None)
        if born is None:
            return True                  # another rule asks for the date of birth
        age = (as_of.date() - born).days // 365
        return age >= 18 or Fail(f"client is {age}", evidence={"birth_date": born})

    policy = rk.load_policy("kyc.yaml", rules=[adult])

The function returns ``True`` when the rule holds, ``False`` or a :class:`Fail` (with a
message and evidence) when it does not. Anything else, or an exception, is a finding of
severity ``error`` naming what happened: a rule that cannot decide never passes silently.
Python rules run on both engines (on polars through the per-record path for their rows),
after the policy's YAML rules of the same kind.

The policy's SHA-256 covers each Python rule's metadata and the SHA-256 of its source code,
so a result names the code that ran as exactly as it names the YAML.
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from regkit.errors import PolicyError
from regkit.rules.severity import Severity
from regkit.schemas.kinds import KINDS

__all__ = ["Fail", "PythonRule", "rule"]

_RULE_ID = re.compile(r"[A-Z0-9][A-Z0-9._-]*")


@dataclass(frozen=True)
class Fail:
    """What a Python rule returns when it does not hold: the message and the evidence."""

    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PythonRule:
    """A Python function registered as a rule (see :func:`rule`).

    Attributes:
        id, title, severity, applies_to, reference, effective_from, effective_to: as for a
            YAML rule.
        function: the function; called with the names it declares, by keyword.
        names: the names it declares (the record, ``account``, ``params``, ``as_of``).
        source_sha256: SHA-256 of the function's source code (of its qualified name when the
            source cannot be read).
    """

    id: str
    severity: Severity
    applies_to: str
    function: Callable[..., Any] = field(compare=False)
    names: tuple[str, ...] = ()
    title: str = ""
    reference: Mapping[str, str] = field(default_factory=dict)
    effective_from: date | None = None
    effective_to: date | None = None
    source_sha256: str = ""

    def __call__(self, **names: Any) -> Any:
        """Run the function with the names it declares."""
        return self.function(**{name: names.get(name) for name in self.names})

    def canonical(self) -> dict[str, Any]:
        """The rule as plain data, for the policy's SHA-256."""
        return {
            "id": self.id,
            "python": getattr(self.function, "__qualname__", repr(self.function)),
            "source_sha256": self.source_sha256,
            "severity": self.severity.value,
            "applies_to": self.applies_to,
            "title": self.title,
            "reference": dict(self.reference),
            "effective_from": self.effective_from,
            "effective_to": self.effective_to,
        }


def rule(
    id: str,
    *,
    applies_to: str,
    severity: str | Severity,
    title: str = "",
    reference: Mapping[str, str] | None = None,
    effective_from: date | None = None,
    effective_to: date | None = None,
) -> Callable[[Callable[..., Any]], PythonRule]:
    """Register a Python function as a rule of a record kind (a decorator).

    Raises:
        PolicyError: a bad id, kind or severity, dates out of order, or a parameter the
            rule's scope does not have (the error names the function and the names it may
            take).
    """
    where = f"Python rule {id}"
    if not _RULE_ID.fullmatch(id):
        raise PolicyError(f"{where}: the id must be upper-case letters, digits, '.', '_' or '-'")
    kind = KINDS.get(applies_to)
    if kind is None:
        raise PolicyError(f"{where}: applies_to {applies_to!r} is not one of {', '.join(KINDS)}")
    try:
        level = Severity.parse(severity)
    except ValueError as exc:
        raise PolicyError(f"{where}: {exc}") from None
    if level is Severity.ERROR:
        raise PolicyError(f"{where}: severity 'error' is kept for rules that crash")
    if effective_from and effective_to and effective_to <= effective_from:
        raise PolicyError(f"{where}: effective_to must be after effective_from")

    def register(function: Callable[..., Any]) -> PythonRule:
        allowed = (applies_to, *kind.related, "params", "as_of")
        names = _parameters(function, allowed, where)
        return PythonRule(
            id=id,
            severity=level,
            applies_to=applies_to,
            function=function,
            names=names,
            title=title,
            reference=dict(reference or {}),
            effective_from=effective_from,
            effective_to=effective_to,
            source_sha256=_source_sha256(function),
        )

    return register


def _parameters(
    function: Callable[..., Any], allowed: tuple[str, ...], where: str
) -> tuple[str, ...]:
    name = getattr(function, "__qualname__", repr(function))
    names: list[str] = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise PolicyError(f"{where}: {name} must name its parameters (no *args, **kwargs)")
        if parameter.name not in allowed:
            raise PolicyError(
                f"{where}: {name} takes {parameter.name!r}; a rule of this kind may take "
                f"{', '.join(allowed)}"
            )
        names.append(parameter.name)
    return tuple(names)


def _source_sha256(function: Callable[..., Any]) -> str:
    try:
        text = inspect.getsource(function)
    except (OSError, TypeError):
        text = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

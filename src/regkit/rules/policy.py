"""Policy files: load, validate completely, and hash.

A policy is a YAML file (DESIGN.md, "Rules")::

    policy: esma-cfd-retail
    version: "2026.1"
    jurisdiction: EU
    effective_from: 2018-08-01
    parameters:
      leverage_caps: {fx_major: 30, fx_minor: 20}
    rules:
      - id: ESMA-CFD-LEV
        title: Retail CFD leverage above the ESMA cap
        severity: high
        applies_to: trade
        when: account.category == "retail" and trade.instrument.product == "cfd"
        assert: trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]
        message: "leverage {trade.leverage}:1 above the cap"
        evidence: [trade.leverage]
        reference: {regulator: ESMA, document: "Decision (EU) 2018/796", article: "Art. 2(a)"}

Everything that can be wrong with a policy is found when it is loaded, before any record is
read, and reported as a :class:`~regkit.errors.PolicyError` naming the file, the rule and the
key: an unknown key (with the closest real ones), a missing ``assert``, a bad severity or
record kind, a malformed window or aggregate, dates out of order, duplicate rule ids. The
expressions themselves are checked by :mod:`regkit.rules.lang` (fields, functions, types).

The YAML is read by a restricted, bounded loader (:class:`_PolicyLoader`), so a broken or
hostile file is a PolicyError naming the line, within a fraction of a second: a key given
twice in a mapping, tags beyond JSON's types (``!!set``, ``!!binary``, ``!!timestamp`` ...),
alias bombs, deep nesting, numbers out of range (``.nan``, ``1.0e+999``, thousands of
digits) and text that is not UTF-8. Windows are at most :data:`MAX_WINDOW_DAYS` long and a
message's format specs are tried when the policy loads.

A policy hashes to the SHA-256 of a canonical form (keys sorted, dates in ISO 8601,
numbers as text), so a result names exactly the policy that ran, whatever the file's
formatting or comments.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import re
import string
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from regkit.errors import PolicyError
from regkit.rules.custom import PythonRule
from regkit.rules.lang import (
    MAX_INTEGER_DIGITS,
    NUMBERS_ALLOWED,
    Expr,
    Scope,
    Type,
    compile_expr,
    format_value,
    number_problem,
)
from regkit.rules.severity import Severity
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS

if TYPE_CHECKING:  # for the types only: the engine imports this module
    from regkit.rules.engine import Checker
    from regkit.schemas.types import TimeArgument

__all__ = [
    "AGGREGATE_FUNCTIONS",
    "RECORD_KINDS",
    "RELATED",
    "Aggregate",
    "CompiledRule",
    "MessagePart",
    "Policy",
    "Rule",
    "Window",
    "builtin_policies",
    "load_policy",
    "parameter_overrides",
    "parse_policy",
]


class _KindNames(Sequence[str]):
    """The names of the record kinds, read from :data:`~regkit.schemas.kinds.KINDS` at
    each use (a kind registered later is one of them)."""

    @typing.overload
    def __getitem__(self, index: int) -> str: ...

    @typing.overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return tuple(KINDS)[index]

    def __len__(self) -> int:
        return len(KINDS)

    def __iter__(self) -> typing.Iterator[str]:
        return iter(KINDS)

    def __contains__(self, name: object) -> bool:
        return name in KINDS

    def __eq__(self, other: object) -> bool:
        return tuple(KINDS) == (tuple(other) if isinstance(other, Sequence) else other)

    def __hash__(self) -> int:
        return hash(tuple(KINDS))

    def __repr__(self) -> str:
        return repr(tuple(KINDS))


class _Related(Mapping[str, Mapping[str, type[Record]]]):
    """Each kind's related records by name, with their classes, read from ``KINDS``."""

    def __getitem__(self, name: str) -> Mapping[str, type[Record]]:
        return {other: KINDS[other].model for other in KINDS[name].related}

    def __iter__(self) -> typing.Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


#: The record kinds a rule can apply to (the expression language's scopes), live.
RECORD_KINDS: Sequence[str] = _KindNames()

#: The records a rule of each kind sees besides its own, joined by ``account_id``, live.
RELATED: Mapping[str, Mapping[str, type[Record]]] = _Related()

#: What :meth:`Policy.compile` calls: :mod:`regkit.rules.engine` installs its ``Checker``
#: here when it is imported (see :func:`install_compiler`).
_COMPILERS: list[Callable[..., Checker]] = []


def install_compiler(compiler: Callable[..., Checker]) -> None:
    """Set what :meth:`Policy.compile` builds (the engine's ``Checker``).

    A policy is a declaration: this module does not import the engine that runs it, which
    imports this module. :mod:`regkit.rules.engine` calls this when it is imported, and
    importing any of ``regkit``, ``regkit.rules`` or this module imports the engine first
    (through the packages), so ``compile`` always finds it.
    """
    _COMPILERS[:] = [compiler]


#: The aggregate functions of an aggregate rule.
AGGREGATE_FUNCTIONS = ("count", "sum", "min", "max", "mean", "count_distinct")

_POLICY_KEYS = (
    "policy",
    "version",
    "jurisdiction",
    "effective_from",
    "effective_to",
    "references",
    "parameters",
    "rules",
)
_REQUIRED_POLICY_KEYS = ("policy", "version", "rules")
_RULE_KEYS = (
    "id",
    "title",
    "severity",
    "applies_to",
    "when",
    "assert",
    "message",
    "evidence",
    "reference",
    "effective_from",
    "effective_to",
    "where",
    "group_by",
    "window",
    "aggregate",
    "episodes",
    "legs",
)
_REQUIRED_RULE_KEYS = ("id", "severity", "applies_to", "assert")
_AGGREGATE_KEYS = ("where", "group_by", "window", "aggregate", "episodes", "legs")
_REFERENCE_KEYS = ("regulator", "document", "article", "text", "url")
_RULE_ID = re.compile(r"[A-Z0-9][A-Z0-9._-]*")
_WINDOW = re.compile(r"(?P<number>[1-9][0-9]*)(?P<unit>[mhd])")
_AGGREGATE = re.compile(r"(?P<function>[a-z_]+)\((?P<argument>.*)\)", re.S)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
#: The longest window span: about a century, far inside Python's timedelta and polars'
#: microsecond durations (which overflow near 106,000 days).
MAX_WINDOW_DAYS = 36_600


@dataclass(frozen=True)
class Window:
    """The time window of an aggregate rule: a rolling span, the calendar day, or all time.

    Attributes:
        text: as written (``24h``, ``7d``, ``calendar_day``, ``all``).
        seconds: the span of a rolling window; ``None`` for ``calendar_day`` and ``all``.
    """

    text: str
    seconds: int | None

    @property
    def calendar_day(self) -> bool:
        """Whether the window is the UTC calendar day of each record."""
        return self.text == "calendar_day"

    @property
    def unbounded(self) -> bool:
        """Whether the window holds every earlier record of the group (``all``: running
        totals, such as an open position)."""
        return self.text == "all"


@dataclass(frozen=True)
class Aggregate:
    """One named aggregate of an aggregate rule (``total: sum(movement.amount)``)."""

    name: str
    function: str
    argument: str | None
    """The expression aggregated, ``None`` for ``count()``."""


@dataclass(frozen=True)
class Rule:
    """One rule of a policy, as written (its expressions are compiled by the engine).

    Attributes:
        id: the stable rule id (``ESMA-CFD-LEV``).
        title: one line saying what the rule finds.
        severity: the severity of its findings.
        applies_to: the record kind it checks (the first kind, for an aggregate rule over
            several: ``applies_to: [movement, trade]``).
        assertion: what must hold (``assert``); a finding is raised where it does not.
        when: the precondition; the rule is skipped where it does not hold.
        message: the finding's message, a template over the same names (``{trade.leverage}``).
        evidence: names whose values go into the finding.
        reference: where the rule comes from.
        effective_from, effective_to: the rule's own dates, within the policy's.
        where, group_by, window, aggregates: for aggregate rules.
    """

    id: str
    severity: Severity
    applies_to: str
    assertion: str
    title: str = ""
    when: str | None = None
    message: str = ""
    evidence: tuple[str, ...] = ()
    reference: Mapping[str, str] = field(default_factory=dict)
    effective_from: date | None = None
    effective_to: date | None = None
    where: str | None = None
    group_by: tuple[str, ...] = ()
    window: Window | None = None
    aggregates: tuple[Aggregate, ...] = ()
    legs: tuple[Mapping[str, str], ...] = ()
    """For an aggregate rule whose records count in several groups (a currency trade is a
    position in each of its two currencies): each leg names values (``currency``,
    ``amount``) that ``group_by``, the aggregates, ``assert``, ``message`` and ``evidence``
    read by name; every record that enters counts once per leg."""
    also: tuple[str, ...] = ()
    """The other record kinds whose records enter an aggregate rule's windows, with their
    own event times (``applies_to: [movement, trade]`` gives ``also == ("trade",)``)."""
    episodes: bool = True
    """Whether failing windows that share records merge into one finding (``episodes:
    false``: one finding per failing window, for rules about single records against their
    group, such as a price far from the day's mean)."""

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every record kind the rule reads: ``applies_to``, then ``also``."""
        return (self.applies_to, *self.also)

    @property
    def is_aggregate(self) -> bool:
        """Whether the rule asserts over aggregates of a group in a window."""
        return bool(self.aggregates)


@dataclass(frozen=True)
class MessagePart:
    """A piece of a message template: literal text, then the value of an expression."""

    text: str
    value: Expr | None = None
    format_spec: str = ""


def render_message(parts: Sequence[MessagePart], names: Mapping[str, Any]) -> str:
    """A message template filled in with the values of its expressions (``—`` for none)."""
    pieces: list[str] = []
    for part in parts:
        pieces.append(part.text)
        if part.value is not None:
            value = part.value.python()(**names)
            pieces.append("—" if value is None else format_value(value, part.format_spec))
    return "".join(pieces)


@dataclass(frozen=True)
class CompiledRule:
    """A rule with its expressions checked and compiled (see :mod:`regkit.rules.lang`).

    An aggregate rule's ``assert``, ``message`` and ``evidence`` are compiled in a scope that
    adds its aggregates (by name) to the record's names; its ``group_by`` and aggregate
    arguments are over the record.
    """

    rule: Rule
    scope: Scope
    when: Expr | None
    assertion: Expr
    where: Expr | None
    evidence: tuple[Expr, ...]
    message: tuple[MessagePart, ...]
    group_by: tuple[Expr, ...] = ()
    aggregates: Mapping[str, Expr | None] = field(default_factory=dict)
    legs: tuple[Mapping[str, Expr], ...] = ()
    """Each leg's values, over the record (see :attr:`Rule.legs`)."""


@dataclass(frozen=True)
class Policy:
    """A loaded, validated policy.

    Attributes:
        id, version, jurisdiction: the policy's identity.
        effective_from, effective_to: the records it applies to, by event time.
        references: documents the policy rests on.
        parameters: named values the rules use (``params.leverage_caps``).
        rules: the rules, in file order.
        source: the file it was loaded from, or ``builtin:<name>``.
        text: the file's text, byte for byte (audit packs keep it).
        sha256: SHA-256 of the canonical form.
    """

    id: str
    version: str
    rules: tuple[Rule, ...]
    source: str
    text: str
    sha256: str
    jurisdiction: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    references: tuple[Any, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    compiled: tuple[CompiledRule, ...] = field(default=(), compare=False, repr=False)
    """Each rule with its expressions compiled, in rule order."""
    python_rules: tuple[PythonRule, ...] = ()
    """Python rules added with :meth:`with_rules`; they run after the YAML rules."""

    def with_rules(self, *rules: PythonRule) -> Policy:
        """The policy with Python rules added (see :mod:`regkit.rules.custom`); its SHA-256
        then covers their metadata and source code too.

        Raises:
            PolicyError: a rule id that the policy already has.
        """
        taken = {rule.id for rule in self.rules} | {rule.id for rule in self.python_rules}
        for rule in rules:
            if not isinstance(rule, PythonRule):
                raise PolicyError(
                    f"{self.source}: {rule!r} is not a Python rule; decorate it with "
                    "regkit.rules.rule(...)"
                )
            if rule.id in taken:
                raise PolicyError(f"{self.source}: the rule id {rule.id} is used twice")
            taken.add(rule.id)
        added = (*self.python_rules, *rules)
        sha256 = canonical_sha256(
            {"policy": self.sha256, "python_rules": [rule.canonical() for rule in rules]}
        )
        return dataclasses.replace(self, python_rules=added, sha256=sha256)

    def compile(self, *, as_of: TimeArgument | None = None) -> Checker:
        """The policy as a :class:`~regkit.rules.engine.Checker` for one record at a time
        (``as_of``: see :class:`~regkit.rules.engine.Checker`; the engine builds it, see
        :func:`install_compiler`)."""
        return _COMPILERS[0](self, as_of=as_of)

    def rules_for(self, kind: str) -> tuple[Rule, ...]:
        """The rules that apply to a record kind."""
        return tuple(rule for rule in self.rules if rule.applies_to == kind)

    def rule(self, rule_id: str) -> Rule:
        """The rule with an id; a PolicyError naming the closest ids otherwise."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        ids = [rule.id for rule in self.rules]
        raise PolicyError(f"{self.source}: no rule {rule_id!r}{_suggest(rule_id, ids)}")


def load_policy(
    source: str | Path,
    *,
    parameters: Mapping[str, Any] | str | Path | None = None,
    rules: Sequence[PythonRule] = (),
) -> Policy:
    """Load a policy from a YAML file or by built-in name, validated completely.

    Args:
        source: a path to a ``.yaml``/``.yml`` file, or the name of a built-in pack
            (``"esma-cfd-retail"``; see :func:`builtin_policies`).
        parameters: values that override the policy's parameters (a firm's own limits),
            or the path of a YAML file mapping parameter names to values; each must name an
            existing parameter.
        rules: Python rules to add (see :mod:`regkit.rules.custom`).

    Raises:
        PolicyError: the file cannot be read or is not a valid policy, or the overrides
            cannot be read or name a parameter the policy does not have.
    """
    if isinstance(parameters, str | Path):
        path = Path(parameters)
        parameters = _overrides(path)
        known = list(_load(source, None).parameters)
        for key in parameters:
            if key not in known:
                raise PolicyError(
                    f"{path}: parameter override {key!r} is not a parameter of the policy"
                    f"{_suggest(str(key), known)}"
                )
    policy = _load(source, parameters)
    return policy.with_rules(*rules) if rules else policy


def _overrides(path: Path) -> Mapping[str, Any]:
    """A firm's parameter overrides from a YAML file (a mapping of names to values)."""
    document = _yaml_document(_read_text(path, "parameter overrides"), str(path))
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise PolicyError(f"{path}: parameter overrides map parameter names to values")
    return document


def _load(source: str | Path, parameters: Mapping[str, Any] | None) -> Policy:
    path = Path(source)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return parse_policy(_read_text(path, "policy file"), str(path), parameters=parameters)
    packs = builtin_policies()
    name = str(source)
    if name not in packs:
        raise PolicyError(
            f"no policy file {name!r} and no built-in policy of that name"
            f"{_suggest(name, sorted(packs))}"
        )
    return parse_policy(packs[name], f"builtin:{name}", parameters=parameters)


def builtin_policies() -> dict[str, str]:
    """The built-in policy packs by name, as their YAML text."""
    folder = resources.files("regkit.rules") / "packs"
    if not folder.is_dir():
        return {}
    return {
        item.name.rsplit(".", 1)[0]: item.read_text(encoding="utf-8")
        for item in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if item.name.endswith((".yaml", ".yml"))
    }


def parse_policy(
    text: str, source: str = "<policy>", *, parameters: Mapping[str, Any] | None = None
) -> Policy:
    """Parse and validate a policy from YAML text (``source`` names it in errors)."""
    document = _yaml_document(text, source)
    if not isinstance(document, Mapping):
        raise PolicyError(
            f"{source}: a policy is a mapping with {', '.join(_REQUIRED_POLICY_KEYS)}"
        )
    _check_keys(document, _POLICY_KEYS, _REQUIRED_POLICY_KEYS, f"{source}")
    params = _parameters(document.get("parameters"), parameters, source)
    effective_from = _date(document.get("effective_from"), f"{source}: effective_from")
    effective_to = _date(document.get("effective_to"), f"{source}: effective_to")
    _check_order(effective_from, effective_to, source)
    rules = _rules(document["rules"], source)
    compiled = tuple(compile_rule(rule, params, source) for rule in rules)
    canonical = dict(document) | {"parameters": params}
    return Policy(
        id=_text(document["policy"], f"{source}: policy"),
        version=_text(document["version"], f"{source}: version"),
        jurisdiction=None
        if document.get("jurisdiction") is None
        else str(document["jurisdiction"]),
        effective_from=effective_from,
        effective_to=effective_to,
        references=tuple(document.get("references") or ()),
        parameters=params,
        rules=rules,
        source=source,
        text=text,
        sha256=canonical_sha256(canonical),
        compiled=compiled,
    )


def compile_rule(rule: Rule, parameters: Mapping[str, Any], source: str) -> CompiledRule:
    """Check and compile every expression of a rule in its scope; a PolicyError names the
    file, the rule, the key, the field and the closest real names."""
    related = {**RELATED[rule.applies_to], **{kind: KINDS[kind].model for kind in rule.also}}
    optional = bool(rule.also)  # at a record of another kind, the first kind's is None
    scope = Scope(rule.applies_to, related, parameters, optional=optional)
    where = f"{source}, rule {rule.id}"

    def compiled(text: str, key: str) -> Expr:
        return compile_expr(text, scope, where=f"{where}, {key}")

    record_scope = scope
    when = None if rule.when is None else compiled(rule.when, "when")
    selects = None if rule.where is None else compiled(rule.where, "where")
    legs = tuple(
        {name: compiled(text, f"legs: {name}") for name, text in leg.items()} for leg in rule.legs
    )
    leg_values = _leg_types(legs, where)
    if leg_values:
        # group_by and the aggregates read the leg's values by name, besides the record.
        scope = Scope(rule.applies_to, related, parameters, leg_values, optional)
    aggregates = {
        a.name: None if a.argument is None else compiled(a.argument, f"aggregate {a.name}")
        for a in rule.aggregates
    }
    group_by = tuple(compiled(name, "group_by") for name in rule.group_by)
    if rule.is_aggregate:
        # The assert, message and evidence of an aggregate rule read its aggregates (and
        # legs) by name, besides the fields of the record whose window it is.
        values = dict(leg_values) | {
            a.name: _aggregate_type(a, aggregates[a.name], f"{where}, aggregate {a.name}")
            for a in rule.aggregates
        }
        scope = Scope(rule.applies_to, related, parameters, values, optional)
    return CompiledRule(
        rule=rule,
        scope=record_scope,
        when=when,
        assertion=compiled(rule.assertion, "assert"),
        where=selects,
        evidence=tuple(compiled(name, "evidence") for name in rule.evidence),
        message=_message_parts(rule.message, compiled, where),
        group_by=group_by,
        aggregates=aggregates,
        legs=legs,
    )


def _leg_types(legs: Sequence[Mapping[str, Expr]], where: str) -> dict[str, tuple[Type, bool]]:
    """Each leg value's type (the same in every leg) and whether it may be ``None``."""
    types: dict[str, tuple[Type, bool]] = {}
    for leg in legs:
        for name, expr in leg.items():
            nullable = expr.node.nullable
            if name not in types:
                types[name] = (expr.type, nullable)
                continue
            known, was_nullable = types[name]
            if known.kind != expr.type.kind or (known.kind == "enum" and known != expr.type):
                raise PolicyError(
                    f"{where}, legs: {name} is {known} in one leg and {expr.type} in another"
                )
            types[name] = (known, was_nullable or nullable)
    return types


def _aggregate_type(aggregate: Aggregate, argument: Expr | None, where: str) -> tuple[Type, bool]:
    """The type of an aggregate's value and whether it may be ``None`` (module docstring of
    :mod:`regkit.rules.windows`: nulls are skipped; ``sum`` of nothing is 0)."""
    function = aggregate.function
    if function in ("count", "count_distinct"):
        if argument is not None and argument.type.kind == "list":
            raise PolicyError(f"{where}: count_distinct needs single values, not a list")
        return Type("int"), False
    assert argument is not None  # the parser requires one
    kind = argument.type.kind
    if function in ("sum", "mean") and not argument.type.numeric:
        raise PolicyError(f"{where}: {function}() needs a number, not {argument.type}")
    if function in ("min", "max") and kind not in ("int", "decimal", "str", "date", "datetime"):
        raise PolicyError(
            f"{where}: {function}() needs numbers, text, dates or times, not {argument.type}"
        )
    if function == "sum":
        return argument.type, False
    if function == "mean":
        return Type("decimal"), True
    return argument.type, True


def _message_parts(
    template: str,
    compiled: Callable[[str, str], Expr],
    where: str,
) -> tuple[MessagePart, ...]:
    """A message template (``"leverage {trade.leverage}:1"``) as text and expressions."""
    parts: list[MessagePart] = []
    try:
        pieces = list(string.Formatter().parse(template))
    except ValueError as exc:
        problem = f"{where}, message: {exc} in {template!r} (write {{{{ and }}}} for braces)"
        raise PolicyError(problem) from None
    for text, name, spec, conversion in pieces:
        if name is None:
            parts.append(MessagePart(text))
            continue
        if conversion is not None:
            raise PolicyError(f"{where}, message: {{{name}!{conversion}}}: no conversions allowed")
        value, spec = compiled(name, "message"), spec or ""
        placeholder = f"{{{name}:{spec}}}" if len(spec) <= 40 else f"{{{name}:{spec[:20]}...}}"
        _check_format_spec(value.type, spec, f"{where}, message: {placeholder}")
        parts.append(MessagePart(text, value, spec))
    return tuple(parts)


#: The widest field and the most digits a message's format spec may ask for.
MAX_FORMAT_WIDTH = 100
_FORMAT_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>[0-9]*)[,_]?(?:\.(?P<precision>[0-9]*))?[a-zA-Z%]?",
    re.S,
)
_FORMAT_ALLOWED = (
    "[[fill]align][sign][width][,][.precision][type] with width and precision at most "
    f"{MAX_FORMAT_WIDTH} (as Python's format), or a strftime format for a date or time"
)


def _check_format_spec(type_: Type, spec: str, where: str) -> None:
    """Refuse, when the policy loads, a message format spec that cannot format the value's
    type (``:zz``) or that would build a huge text (``:>999999999``)."""
    if not spec or type_.kind == "none":
        return
    problem = None
    if len(spec) > MAX_FORMAT_WIDTH:
        problem = f"the format spec is longer than {MAX_FORMAT_WIDTH} characters"
    elif type_.kind not in ("date", "datetime"):  # strftime text has no width
        match = _FORMAT_SPEC.fullmatch(spec)
        numbers = [] if match is None else [match["width"], match["precision"] or ""]
        if any(len(n) > 3 or (n and int(n) > MAX_FORMAT_WIDTH) for n in numbers):
            problem = f"a width or precision above {MAX_FORMAT_WIDTH}"
    sample = _FORMAT_SAMPLES.get(type_.kind)
    if problem is None and sample is not None:
        try:
            format_value(sample(type_), spec)
        except (ValueError, TypeError) as exc:
            problem = f"an invalid format spec for a {type_} ({exc})"
    if problem is not None:
        raise PolicyError(f"{where}: {problem}; allowed: {_FORMAT_ALLOWED}")


#: A value of each type, to try a message's format spec on when the policy loads.
_FORMAT_SAMPLES: Mapping[str, Callable[[Type], Any]] = {
    "decimal": lambda _: Decimal("-1234.5"),
    "int": lambda _: -1234,
    "str": lambda _: "text",
    "bool": lambda _: True,
    "enum": lambda t: next(iter(t.enum)) if t.enum is not None else "text",
    "date": lambda _: date(2026, 1, 31),
    "datetime": lambda _: datetime(2026, 1, 31, 9, 30, tzinfo=UTC),
    "list": lambda _: ("text",),
}


def canonical_sha256(document: Mapping[str, Any]) -> str:
    """SHA-256 of a policy's canonical JSON: keys sorted, dates ISO 8601, numbers as text."""
    canonical = json.dumps(_canonical(document), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


#: Bounds on a policy file's YAML, so that a hostile file is refused in well under a second.
MAX_YAML_NODES = 100_000
"""Values (scalars, lists and mappings) once aliases are expanded: aliases stay usable,
while a few hundred bytes of nested aliases (a "billion laughs") are refused."""
MAX_YAML_NESTING = 50
"""Lists and mappings within one another."""
_ALLOWED_YAML = "text, numbers, true/false, null, lists and mappings"
_REFUSED_TAGS = ("set", "binary", "omap", "pairs", "timestamp")


class _Refused(yaml.YAMLError):
    """Something a policy file may not hold, at a line of the file."""

    def __init__(self, mark: yaml.Mark | None, problem: str) -> None:
        super().__init__(problem)
        self.line = None if mark is None else mark.line + 1
        self.problem = problem


class _PolicyLoader(yaml.SafeLoader):
    """YAML's safe loader, restricted to what a policy holds and bounded.

    Dates stay text until the policy reads them as ISO 8601 (so ``2018-13-01`` is reported
    as a bad date of a named key, not a YAML crash). Refused, with the line: a key given
    twice in one mapping (YAML would keep the last silently), tags beyond JSON's types
    (``!!set``, ``!!binary``, ``!!omap``, ``!!pairs``, ``!!timestamp``: a set's order
    follows the process's hash seed, so its policy hash would too), numbers outside the
    range both engines hold exactly, more than :data:`MAX_YAML_NESTING` levels, and more
    than :data:`MAX_YAML_NODES` values once aliases are expanded (or an alias that holds
    itself).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._nesting = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._nesting += 1
        try:
            if self._nesting > MAX_YAML_NESTING:
                raise _Refused(
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                    f"lists and mappings nest more than {MAX_YAML_NESTING} levels deep",
                )
            return typing.cast(yaml.Node, super().compose_node(parent, index))
        finally:
            self._nesting -= 1

    def compose_document(self) -> yaml.Node:
        node = typing.cast(yaml.Node, super().compose_document())
        _check_expanded_size(node)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # a scalar or list tagged !!map
            raise _Refused(node.start_mark, f"a {node.id} tagged as a mapping (!!map)")
        _check_unique_keys(self, node)
        return typing.cast(dict[Any, Any], super().construct_mapping(node, deep=deep))

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        # int() of thousands of digits raises ValueError (or takes long): refuse by length.
        if len(str(node.value)) > 2 * MAX_INTEGER_DIGITS:
            raise _Refused(
                node.start_mark,
                f"the number {_short(node.value)} is out of range; allowed: {NUMBERS_ALLOWED}",
            )
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # an explicit !!int on text
            raise _Refused(node.start_mark, f"{_short(node.value)} is not an integer") from None
        _check_number(node, value)
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        try:
            value = super().construct_yaml_float(node)
        except ValueError:  # an explicit !!float on text
            raise _Refused(node.start_mark, f"{_short(node.value)} is not a number") from None
        if not math.isfinite(value):
            raise _Refused(
                node.start_mark,
                f"{node.value!r} is not a finite number; allowed: {NUMBERS_ALLOWED}",
            )
        _check_number(node, Decimal(repr(value)))
        return value

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        try:
            return bool(super().construct_yaml_bool(node))
        except KeyError:  # an explicit !!bool on text
            raise _Refused(node.start_mark, f"{_short(node.value)} is not true or false") from None

    def refuse_tag(self, node: yaml.Node) -> typing.NoReturn:
        raise _Refused(
            node.start_mark,
            f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; "
            f"a policy holds only {_ALLOWED_YAML} (write dates as text: 2026-01-31)",
        )


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_PolicyLoader.add_constructor("tag:yaml.org,2002:int", _PolicyLoader.construct_yaml_int)
_PolicyLoader.add_constructor("tag:yaml.org,2002:float", _PolicyLoader.construct_yaml_float)
_PolicyLoader.add_constructor("tag:yaml.org,2002:bool", _PolicyLoader.construct_yaml_bool)
for _tag in _REFUSED_TAGS:
    _PolicyLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _PolicyLoader.refuse_tag)


def _short(text: Any) -> str:
    text = str(text)
    return repr(text) if len(text) <= 40 else repr(f"{text[:20]}...{text[-10:]}")


def _check_number(node: yaml.Node, value: int | Decimal) -> None:
    problem = number_problem(value)
    if problem is not None:
        raise _Refused(
            node.start_mark,
            f"the number {_short(node.value)} is out of range ({problem}); "
            f"allowed: {NUMBERS_ALLOWED}",
        )


def _check_unique_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> None:
    """Refuse a key given twice in one mapping (merged keys, ``<<: *defaults``, may be
    overridden: that is what they are for)."""
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        try:
            first = seen.setdefault(key, key_node)
        except TypeError:  # unhashable: the constructor reports it
            continue
        if first is not key_node:
            raise _Refused(
                key_node.start_mark,
                f"the key {key!r} is given twice, at {_place(first)} and {_place(key_node)}; "
                "each key may appear once in a mapping",
            )


def _place(node: yaml.Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a document of more than MAX_YAML_NODES values once its aliases are expanded,
    counted without expanding them (each node's size is worked out once), and an alias
    inside the value it names (an endless value)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()  # being counted: every node met meanwhile is inside them
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, counted = stack.pop()
        children = _yaml_children(node)
        if counted:
            open_nodes.discard(id(node))
            sizes[id(node)] = size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_YAML_NODES:
                raise _Refused(
                    node.start_mark,
                    f"the value holds more than {MAX_YAML_NODES} values once its aliases "
                    "are expanded",
                )
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise _Refused(node.start_mark, "an alias refers to a value that holds it")
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _yaml_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def _yaml_document(text: str, source: str) -> Any:
    """The YAML document of a policy or overrides file; a PolicyError naming the file and
    line for anything the loader refuses."""
    try:
        return yaml.load(text, Loader=_PolicyLoader)  # a SafeLoader subclass: no tags run
    except _Refused as exc:
        line = "" if exc.line is None else f", line {exc.line}"
        raise PolicyError(f"{source}{line}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{source}: not valid YAML: {exc}") from exc
    except RecursionError:  # a backstop: the nesting bound should come first
        raise PolicyError(f"{source}: the YAML nests too deeply") from None


def _read_text(path: Path, what: str) -> str:
    """A file's text as UTF-8; a PolicyError naming the file and the first bad byte."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"{path}: the {what} is not UTF-8: byte {exc.start} (0x{data[exc.start]:02x}) "
            f"{exc.reason}; save the file as UTF-8"
        ) from None


# --- rules ---------------------------------------------------------------------------------


def _rules(items: Any, source: str) -> tuple[Rule, ...]:
    if not isinstance(items, list) or not items:
        raise PolicyError(f"{source}: rules must be a non-empty list of rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        rule = _rule(item, source, index)
        if rule.id in seen:
            raise PolicyError(f"{source}, rule {rule.id}: the rule id is used twice")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def _rule(item: Any, source: str, index: int) -> Rule:
    if not isinstance(item, Mapping):
        raise PolicyError(f"{source}, rule #{index}: a rule is a mapping of keys")
    rule_id = str(item.get("id", f"#{index}"))
    where = f"{source}, rule {rule_id}"
    _check_keys(item, _RULE_KEYS, _REQUIRED_RULE_KEYS, where)
    if not _RULE_ID.fullmatch(rule_id):
        raise PolicyError(
            f"{where}: the id must be upper-case letters, digits, '.', '_' or '-' "
            "(a stable id such as ESMA-CFD-LEV)"
        )
    try:
        severity = Severity.parse(item["severity"])
    except ValueError as exc:
        raise PolicyError(f"{where}: severity: {exc}") from None
    if severity is Severity.ERROR:
        raise PolicyError(f"{where}: severity 'error' is kept for rules that crash")
    applies_to, *also = _kinds(item["applies_to"], where)
    effective_from = _date(item.get("effective_from"), f"{where}: effective_from")
    effective_to = _date(item.get("effective_to"), f"{where}: effective_to")
    _check_order(effective_from, effective_to, where)
    window: Window | None = None
    aggregates: tuple[Aggregate, ...] = ()
    group_by: tuple[str, ...] = ()
    if any(key in item for key in _AGGREGATE_KEYS):
        window, aggregates, group_by = _aggregate_parts(item, where)
        if item.get("when") is not None:
            raise PolicyError(
                f"{where}: an aggregate rule chooses its records with 'where'; "
                "'when' is for record rules"
            )
    elif also:
        raise PolicyError(
            f"{where}: only an aggregate rule (with group_by, window and aggregate) applies "
            "to several record kinds"
        )
    return Rule(
        id=rule_id,
        title=str(item.get("title") or ""),
        severity=severity,
        applies_to=applies_to,
        assertion=_expression(item["assert"], f"{where}: assert"),
        when=None if item.get("when") is None else _expression(item["when"], f"{where}: when"),
        message=str(item.get("message") or ""),
        evidence=_names(item.get("evidence"), f"{where}: evidence"),
        reference=_reference(item.get("reference"), where),
        effective_from=effective_from,
        effective_to=effective_to,
        where=None if item.get("where") is None else _expression(item["where"], f"{where}: where"),
        group_by=group_by,
        window=window,
        aggregates=aggregates,
        also=tuple(also),
        episodes=_flag(item.get("episodes", True), f"{where}: episodes"),
        legs=_legs(item.get("legs"), {a.name for a in aggregates}, where),
    )


def _kinds(value: Any, where: str) -> list[str]:
    """``applies_to``: a record kind, or a list of them (an aggregate rule over several)."""
    kinds = [str(kind) for kind in value] if isinstance(value, list) else [str(value)]
    if not kinds:
        raise PolicyError(f"{where}: applies_to names no record kind")
    for kind in kinds:
        if kind not in RECORD_KINDS:
            raise PolicyError(
                f"{where}: applies_to {kind!r} is not a record kind; expected one of "
                f"{', '.join(RECORD_KINDS)}{_suggest(kind, RECORD_KINDS)}"
            )
    if len(kinds) > 1:
        if len(set(kinds)) < len(kinds):
            raise PolicyError(f"{where}: applies_to names a record kind twice: {kinds}")
        if "account" in kinds:
            raise PolicyError(
                f"{where}: applies_to: accounts cannot share windows with other kinds "
                "(a trade's, movement's or snapshot's account is read as 'account')"
            )
    return kinds


def _legs(value: Any, aggregate_names: set[str], where: str) -> tuple[Mapping[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(v, Mapping) for v in value):
        raise PolicyError(f"{where}: legs is a list of mappings of names to expressions")
    names = list(value[0])
    legs: list[Mapping[str, str]] = []
    for number, leg in enumerate(value, start=1):
        if list(leg) != names:
            raise PolicyError(
                f"{where}: leg {number} names {', '.join(map(str, leg))}; every leg names "
                f"{', '.join(map(str, names))}, in that order"
            )
        for name in leg:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
                raise PolicyError(f"{where}: leg value {name!r} is not a lower-case identifier")
            if name in aggregate_names:
                raise PolicyError(f"{where}: {name!r} names both a leg value and an aggregate")
        legs.append({str(n): _expression(e, f"{where}: legs: {n}") for n, e in leg.items()})
    return tuple(legs)


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{where}: true or false, got {value!r}")
    return value


def _aggregate_parts(
    item: Mapping[str, Any], where: str
) -> tuple[Window, tuple[Aggregate, ...], tuple[str, ...]]:
    missing = [key for key in ("group_by", "window", "aggregate") if key not in item]
    if missing:
        raise PolicyError(
            f"{where}: an aggregate rule needs group_by, window and aggregate; "
            f"missing {', '.join(missing)}"
        )
    group_by = _names(item["group_by"], f"{where}: group_by")
    if not group_by:
        raise PolicyError(f"{where}: group_by names at least one field")
    return _window(item["window"], where), _aggregates(item["aggregate"], where), group_by


def _window(value: Any, where: str) -> Window:
    text = str(value).strip()
    if text in ("calendar_day", "all"):
        return Window(text, None)
    match = _WINDOW.fullmatch(text)
    if match is None:
        raise PolicyError(
            f"{where}: window {_short(text)} is not a span like 30m, 24h or 7d, "
            "nor calendar_day or all"
        )
    digits = match["number"]
    seconds = None if len(digits) > 12 else int(digits) * _UNIT_SECONDS[match["unit"]]
    if seconds is None or seconds > MAX_WINDOW_DAYS * _UNIT_SECONDS["d"]:
        raise PolicyError(
            f"{where}: window {_short(text)} is longer than {MAX_WINDOW_DAYS} days; "
            "a span is at most that long (use 'all' for every earlier record of the group)"
        )
    return Window(text, seconds)


def _aggregates(value: Any, where: str) -> tuple[Aggregate, ...]:
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f"{where}: aggregate maps names to count(), sum(x), min(x) ...")
    aggregates: list[Aggregate] = []
    for name, text in value.items():
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", str(name)):
            raise PolicyError(f"{where}: aggregate name {name!r} is not a lower-case identifier")
        match = _AGGREGATE.fullmatch(str(text).strip())
        function = match["function"] if match else None
        if match is None or function not in AGGREGATE_FUNCTIONS:
            raise PolicyError(
                f"{where}: aggregate {name}: {text!r} is not one of "
                f"{', '.join(f + '(...)' for f in AGGREGATE_FUNCTIONS)}"
            )
        argument = match["argument"].strip() or None
        if (function == "count") != (argument is None):
            expected = "count() takes nothing" if function == "count" else f"{function} needs x"
            raise PolicyError(f"{where}: aggregate {name}: {expected}")
        aggregates.append(Aggregate(str(name), function, argument))
    return tuple(aggregates)


# --- small parts ---------------------------------------------------------------------------


def _check_keys(
    item: Mapping[str, Any], known: Sequence[str], required: Sequence[str], where: str
) -> None:
    for key in item:
        if key not in known:
            raise PolicyError(f"{where}: unknown key {key!r}{_suggest(str(key), known)}")
    missing = [key for key in required if item.get(key) is None]
    if missing:
        raise PolicyError(f"{where}: missing {', '.join(repr(key) for key in missing)}")


def _suggest(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


def _parameters(value: Any, overrides: Mapping[str, Any] | None, source: str) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{source}: parameters must map names to values")
    params = {str(key): _exact(item) for key, item in value.items()}
    for key, item in (overrides or {}).items():
        if key not in params:
            raise PolicyError(
                f"{source}: parameter override {key!r} is not a parameter of the policy"
                f"{_suggest(str(key), list(params))}"
            )
        params[key] = _exact(item)
    for key, item in params.items():
        _check_parameter(item, f"{source}: parameters: {key}")
    return params


def _check_parameter(value: Any, where: str) -> None:
    """A parameter holds what a policy file can (an override given in Python too): text,
    numbers in range, true/false, None, dates, lists and mappings."""
    if value is None or isinstance(value, bool | str | date):
        return
    if isinstance(value, int | Decimal):
        problem = number_problem(value)
        if problem is not None:
            raise PolicyError(f"{where}: {problem} is out of range; allowed: {NUMBERS_ALLOWED}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_parameter(item, f"{where}[{index}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_parameter(item, f"{where}.{key}")
        return
    raise PolicyError(
        f"{where}: a {type(value).__name__} cannot be a parameter; allowed: {_ALLOWED_YAML}"
    )


def _exact(value: Any) -> Any:
    """Parameters as exact values: YAML's floats become decimals (0.5 → Decimal('0.5'))."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact(item) for item in value]
    return value


def _date(value: Any, where: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PolicyError(f"{where}: {value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


def _check_order(start: date | None, end: date | None, where: str) -> None:
    if start is not None and end is not None and end <= start:
        raise PolicyError(f"{where}: effective_to {end} must be after effective_from {start}")


def _text(value: Any, where: str) -> str:
    text = str(value).strip()
    if not text:
        raise PolicyError(f"{where}: must not be empty")
    return text


def _expression(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: an expression is text, got {value!r}")
    return " ".join(value.split())


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise PolicyError(f"{where}: a list of dotted names (trade.leverage, ...)")
    return tuple(item.strip() for item in items)


def _reference(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where}: reference maps regulator, document, article, text")
    for key in value:
        if key not in _REFERENCE_KEYS:
            raise PolicyError(
                f"{where}: reference: unknown key {key!r}{_suggest(str(key), _REFERENCE_KEYS)}"
            )
    return {str(key): str(item) for key, item in value.items()}


class _ParameterDumper(yaml.SafeDumper):
    """YAML for parameter overrides: a Decimal as the number it is (policies read numbers
    as exact decimals)."""


def _decimal_scalar(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    if value == value.to_integral_value():
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", str(value))


_ParameterDumper.add_representer(Decimal, _decimal_scalar)


def parameter_overrides(policy: Policy) -> str | None:
    """The parameters a policy ran with that its text does not say (``--parameters``), as
    the YAML of an overrides file for ``load_policy(..., parameters=...)``; None when there
    are none. ``parse_policy(policy.text, parameters=yaml.safe_load(overrides))`` is the
    policy again, with the same SHA-256.

    Raises:
        PolicyError: the overrides would not read back as the values that ran.
    """
    written = parse_policy(policy.text, policy.source)
    changed = {
        name: value
        for name, value in policy.parameters.items()
        if canonical_sha256({"v": value}) != canonical_sha256({"v": written.parameters.get(name)})
    }
    if not changed:
        return None
    text = yaml.dump(changed, Dumper=_ParameterDumper, sort_keys=True, allow_unicode=True)
    again = parse_policy(policy.text, policy.source, parameters=yaml.safe_load(text))
    if canonical_sha256(again.parameters) != canonical_sha256(policy.parameters):
        raise PolicyError(
            f"policy {policy.id} {policy.version}: its parameter overrides "
            f"({', '.join(sorted(changed))}) do not read back as the values that ran"
        )
    return text

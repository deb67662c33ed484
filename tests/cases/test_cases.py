"""Every rule of every built-in pack, on the cases written for it (tests/cases/README.md).

A case file ``tests/cases/<pack>/<RULE-ID>.yaml`` holds cases that must fire and near misses
that must not. Each case runs on both engines (``python`` and ``polars``); the findings *of
that rule* must be exactly the expected ones, and the same on both. Other rules of the pack
may fire on the same records: they are not asserted here.

A meta-test makes every rule of every built-in pack carry at least one ``fire`` case and one
``pass`` case, so a rule added without cases fails.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import regkit as rk
from regkit.errors import IdentifierError
from regkit.rules.policy import builtin_policies
from regkit.schemas.base import Record
from regkit.schemas.identifiers import derive_cfi
from regkit.schemas.kinds import KINDS as RECORD_KINDS

HERE = Path(__file__).resolve().parent
ENGINES = ("python", "polars")
#: The keys of a case file and of one case: a list per record kind of the kind table (its
#: plural: ``trades``, ``emir_reports``), read from the table so a new kind needs no edit here.
FILE_KEYS = {"policy", "as_of", "parameters", "cases"}
CASE_KEYS = {"name", "expect", "as_of", "parameters", *(k.plural for k in RECORD_KINDS.values())}
EXPECTED_KEYS = {"record_id", "member_ids", "group_key", "message"}
#: Kinds whose records get ids by position (``T1``, ``M1`` ...) when a case gives none.
ID_PREFIXES = {"trade": "T", "movement": "M"}


@dataclass(frozen=True)
class Kind:
    """How the records of one list of a case are built."""

    default: str  # the key of defaults.yaml: the kind's name
    model: type[Record]
    key: str | None  # the field the ``id`` shortcut sets (None: ``id`` is only a label)
    prefix: str | None  # ids T1, T2 ... by position when a case gives none


def _kinds() -> dict[str, Kind]:
    """One entry per kind of the kind table, by plural. ``id`` sets the key of a kind keyed
    by one field (``trade_id``); for a kind keyed by several (a snapshot, an EMIR report)
    it is only a label."""
    kinds: dict[str, Kind] = {}
    for kind in RECORD_KINDS.values():
        key = kind.key[0] if len(kind.key) == 1 else None
        kinds[kind.plural] = Kind(kind.name, kind.model, key, ID_PREFIXES.get(kind.name))
    return kinds


KINDS: dict[str, Kind] = _kinds()


class _CaseLoader(yaml.SafeLoader):
    """YAML's safe loader, with times left as text (the records parse them, as from a file)
    and decimals exact (``9999.99`` is ``Decimal('9999.99')``, never a float)."""


_CaseLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CaseLoader.add_constructor(
    "tag:yaml.org,2002:float",
    lambda loader, node: Decimal(loader.construct_scalar(node).replace("_", "")),
)


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CaseLoader)


DEFAULTS: dict[str, dict[str, Any]] = read_yaml(HERE / "defaults.yaml")


# --- discovery -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFile:
    """One case file: the pack (a built-in name or a policy file) and the rule it covers."""

    path: Path
    pack: str  # the folder's name: a built-in pack, or a folder of examples
    rule_id: str
    data: Mapping[str, Any]

    @property
    def source(self) -> str | Path:
        """What ``rk.load_policy`` gets: the ``policy:`` file (relative to the case file)
        when there is one, else the folder's name as a built-in pack."""
        policy = self.data.get("policy")
        return (self.path.parent / str(policy)).resolve() if policy else self.pack

    @property
    def cases(self) -> list[Mapping[str, Any]]:
        return list(self.data.get("cases") or [])


def case_files() -> list[CaseFile]:
    files: list[CaseFile] = []
    for path in sorted(HERE.glob("*/*.yaml")):
        data = read_yaml(path)
        if not isinstance(data, Mapping):
            raise TypeError(f"{path}: a case file is a mapping with as_of and cases")
        files.append(CaseFile(path, path.parent.name, path.stem, data))
    return files


CASE_FILES = case_files()


def case_params() -> Iterator[Any]:
    for case_file in CASE_FILES:
        for index, case in enumerate(case_file.cases):
            name = case.get("name", f"#{index + 1}") if isinstance(case, Mapping) else index
            label = f"{case_file.pack}/{case_file.rule_id}/{name}"
            yield pytest.param(case_file, index, id=label)


# --- building records ------------------------------------------------------------------------


def merged(default: Any, override: Any, *, nested: bool = False) -> Any:
    """``override`` over ``default``: mappings key by key, anything else replaced. A nested
    mapping whose ``kind`` differs from the default's (an entity holder over the default
    person) replaces it whole."""
    if not isinstance(default, Mapping) or not isinstance(override, Mapping):
        return override
    if nested and "kind" in override and override.get("kind") != default.get("kind"):
        return dict(override)
    result = dict(default)
    for key, value in override.items():
        result[key] = merged(default[key], value, nested=True) if key in default else value
    return result


def with_derived_cfi(data: Mapping[str, Any], default: Any) -> Any:
    """``data`` over ``default``, a trade's instrument with the CFI its terms derive when the
    case changes the instrument but gives no CFI: the default's (JFTXCC, an FX CFD) would
    contradict another product or underlying, which Instrument refuses (ISO 10962)."""
    record = merged(default, data)
    given = data.get("instrument")
    instrument = record.get("instrument") if isinstance(record, Mapping) else None
    if not isinstance(given, Mapping) or "cfi" in given or not isinstance(instrument, Mapping):
        return record
    try:
        cfi = derive_cfi(rk.Instrument.model_validate({**instrument, "cfi": None}))
    except (IdentifierError, ValueError):
        return record  # none derives: the default CFI stands
    return {**record, "instrument": {**instrument, "cfi": cfi}}


@dataclass
class Records:
    """The records of one case by list name, and each record's label (``id``) -> key."""

    by_kind: dict[str, list[Record]]
    labels: dict[str, str]


def build_records(case: Mapping[str, Any], where: str) -> Records:
    by_kind: dict[str, list[Record]] = {}
    labels: dict[str, str] = {}
    lists = dict(case)
    if "accounts" not in lists:  # the default account, unless the case lists its own
        lists["accounts"] = [{}]
    for name, kind in KINDS.items():
        items = lists.get(name) or []
        if not isinstance(items, list):
            raise TypeError(f"{where}: {name} is a list of records")
        records: list[Record] = []
        for position, item in enumerate(items, start=1):
            data = dict(item or {})
            label = data.pop("id", None)
            if label is not None and kind.key is not None:
                data[kind.key] = str(label)
            if kind.prefix is not None and kind.key not in data:
                data[kind.key] = f"{kind.prefix}{position}"
            try:
                record = kind.model.model_validate(with_derived_cfi(data, DEFAULTS[kind.default]))
            except ValueError as exc:
                raise ValueError(
                    f"{where}: {name}[{position}] is not a valid record: {exc}"
                ) from exc
            if label is not None:
                labels[str(label)] = record.key
            records.append(record)
        keys = [record.key for record in records]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"{where}: {name} repeat the key {', '.join(repeated)}; give ids")
        by_kind[name] = records
    return Records(by_kind, labels)


# --- expectations ----------------------------------------------------------------------------


def expectation(case: Mapping[str, Any], where: str) -> str | list[dict[str, Any]]:
    """``"fire"`` (exactly one finding), ``"pass"`` (none) or the findings, each a mapping of
    ``record_id`` and optionally ``member_ids``, ``group_key``, ``message`` (a bare string is
    a record id)."""
    expect = case.get("expect")
    if expect in ("fire", "pass"):
        return str(expect)
    if not isinstance(expect, list):
        raise ValueError(f"{where}: expect is fire, pass or a list of findings, not {expect!r}")
    findings: list[dict[str, Any]] = []
    for item in expect:
        entry = {"record_id": item} if isinstance(item, str) else dict(item)
        unknown = set(entry) - EXPECTED_KEYS
        if unknown or "record_id" not in entry:
            raise ValueError(
                f"{where}: an expected finding has record_id and optionally "
                f"member_ids, group_key, message; got {sorted(entry)}"
            )
        findings.append(entry)
    return findings


def fires(case: Mapping[str, Any]) -> bool:
    expect = case.get("expect")
    return expect == "fire" or (isinstance(expect, list) and bool(expect))


def passes(case: Mapping[str, Any]) -> bool:
    expect = case.get("expect")
    return expect == "pass" or expect == []


def observed(finding: rk.Finding, keys: set[str], labels: Mapping[str, str]) -> dict[str, Any]:
    """The parts of a finding an expectation names, in the case file's terms."""
    names = {key: label for label, key in labels.items()}
    shown: dict[str, Any] = {"record_id": names.get(finding.record_id, finding.record_id)}
    if "member_ids" in keys:
        shown["member_ids"] = [names.get(member, member) for member in finding.member_ids]
    if "group_key" in keys:
        group = finding.to_dict()["group_key"]
        shown["group_key"] = None if group is None else [str(value) for value in group]
    if "message" in keys:
        shown["message"] = finding.message
    return shown


def normalised(entry: Mapping[str, Any]) -> dict[str, Any]:
    shown = dict(entry)
    shown["record_id"] = str(shown["record_id"])
    if "member_ids" in shown:
        shown["member_ids"] = [str(member) for member in shown["member_ids"]]
    if shown.get("group_key") is not None:
        shown["group_key"] = [str(value) for value in shown["group_key"]]
    return shown


# --- running ---------------------------------------------------------------------------------


_POLICIES: dict[tuple[str, str], rk.Policy] = {}


def load(case_file: CaseFile, parameters: Mapping[str, Any]) -> rk.Policy:
    """The case file's policy with parameter overrides, loaded once per distinct pair."""
    key = (str(case_file.source), repr(sorted(parameters.items())))
    if key not in _POLICIES:
        _POLICIES[key] = rk.load_policy(case_file.source, parameters=parameters or None)
    return _POLICIES[key]


def as_of(value: Any, where: str) -> datetime:
    if value is None:
        raise ValueError(f"{where}: as_of is required (an ISO 8601 time with a timezone)")
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"{where}: as_of {value!r} needs a timezone (Z or an offset)")
    return moment


def run_check(policy: rk.Policy, records: Records, moment: datetime, engine: str) -> rk.CheckResult:
    """The check of a case on one engine."""
    return rk.check(policy, **records.by_kind, as_of=moment, engine=engine)


def rule_findings(result: rk.CheckResult, rule_id: str) -> list[rk.Finding]:
    return [finding for finding in result.findings if finding.rule_id == rule_id]


@pytest.mark.parametrize(("case_file", "index"), list(case_params()))
def test_case(case_file: CaseFile, index: int) -> None:
    case = case_file.cases[index]
    where = f"{case_file.path.relative_to(HERE)}, case {case.get('name', index + 1)!r}"
    unknown_file = set(case_file.data) - FILE_KEYS
    unknown_case = set(case) - CASE_KEYS
    assert not unknown_file, f"{case_file.path.name}: unknown keys {sorted(unknown_file)}"
    assert not unknown_case, f"{where}: unknown keys {sorted(unknown_case)}"
    assert case.get("name"), f"{where}: every case has a name"

    parameters = dict(case_file.data.get("parameters") or {}) | dict(case.get("parameters") or {})
    policy = load(case_file, parameters)
    rule = policy.rule(case_file.rule_id)  # a PolicyError naming the closest ids
    moment = as_of(case.get("as_of", case_file.data.get("as_of")), where)
    records = build_records(case, where)
    expected = expectation(case, where)

    results: dict[str, list[rk.Finding] | None] = {}
    for engine in ENGINES:
        result = run_check(policy, records, moment, engine)
        results[engine] = None if result is None else rule_findings(result, rule.id)
    found = results["python"]
    assert found is not None

    crashed = [f for f in found if f.level is rk.Severity.ERROR]
    assert not crashed, f"{where}: the rule crashed: {[f.message for f in crashed]}"
    if expected == "pass":
        assert found == [], (
            f"{where}: expected no finding, got {[(f.record_id, f.message) for f in found]}"
        )
    elif expected == "fire":
        assert len(found) == 1, (
            f"{where}: expected exactly one finding, got {len(found)}: "
            f"{[(f.record_id, f.message) for f in found]}"
        )
    else:
        keys = set().union(*(set(entry) for entry in expected)) if expected else set()
        got = [observed(finding, keys, records.labels) for finding in found]
        want = [normalised(entry) for entry in expected]
        assert got == want, f"{where}: findings differ\n  expected {want}\n  got      {got}"
    assert results["polars"] == results["python"], (
        f"{where}: the engines disagree\n  python {results['python']}\n  polars {results['polars']}"
    )


# --- meta ------------------------------------------------------------------------------------


def covered() -> dict[tuple[str, str], CaseFile]:
    return {(f.pack, f.rule_id): f for f in CASE_FILES if "policy" not in f.data}


@pytest.mark.parametrize("pack", sorted(builtin_policies()))
def test_every_rule_of_the_pack_has_cases(pack: str) -> None:
    policy = rk.load_policy(pack)
    files = covered()
    missing: list[str] = []
    for rule in policy.rules:
        case_file = files.get((pack, rule.id))
        if case_file is None:
            missing.append(f"{rule.id}: no tests/cases/{pack}/{rule.id}.yaml")
            continue
        cases = [case for case in case_file.cases if isinstance(case, Mapping)]
        if not any(fires(case) for case in cases):
            missing.append(f"{rule.id}: no case that must fire")
        if not any(passes(case) for case in cases):
            missing.append(f"{rule.id}: no near miss that must pass")
    assert not missing, f"pack {pack}:\n  " + "\n  ".join(missing)


def test_every_case_file_names_a_pack_and_a_rule() -> None:
    packs = builtin_policies()
    problems: list[str] = []
    for case_file in CASE_FILES:
        name = str(case_file.path.relative_to(HERE))
        if "policy" not in case_file.data and case_file.pack not in packs:
            problems.append(f"{name}: {case_file.pack!r} is no built-in pack (add policy: FILE)")
            continue
        if not case_file.cases:
            problems.append(f"{name}: no cases")
            continue
        try:
            load(case_file, {}).rule(case_file.rule_id)
        except rk.PolicyError as exc:
            problems.append(f"{name}: {exc}")
    assert not problems, "\n".join(problems)


def test_the_defaults_are_valid_records() -> None:
    for kind in KINDS.values():
        kind.model.model_validate(
            DEFAULTS[kind.default] | ({kind.key: "X1"} if kind.prefix else {})
        )


@pytest.mark.parametrize("pack", sorted(builtin_policies()))
def test_the_defaults_fire_no_rule(pack: str) -> None:
    """The default records are clean, so a near miss differs from them only where it says."""
    records = build_records({name: [{}] for name in KINDS if name != "accounts"}, "defaults")
    moment = datetime.fromisoformat("2026-11-21T00:00:00+00:00")
    for engine in ENGINES:
        result = run_check(rk.load_policy(pack), records, moment, engine)
        fired = [(f.rule_id, f.message) for f in result.findings]
        assert not fired, f"defaults.yaml fires rules of {pack} ({engine}): {fired}"

"""The model's one data file, tooling/src/tooling/cost/prices.json: prices, quotas and assumptions, checked on load.

Nothing the model multiplies by lives in code. Every price carries its value and the quantity it is quoted
for (``per``), its unit, region, the date it was checked, its source named in words and its evidence
(official, secondary or unverified, with a note saying what is doubtful). Quotas carry the same. Assumptions
carry a value and a note saying why. ``PriceBook`` records which prices a computation read, so a test can
check that the model uses no price the file lacks and lists every price it uses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).with_name("prices.json")
EVIDENCE = ("official", "secondary", "unverified")
_ENTRY_FIELDS = ("value", "unit", "region", "checked", "source", "evidence", "note")


def plain_number(value: float) -> str:
    """A number without exponent or trailing zeros (prices are quoted to at most 10 decimals)."""
    return f"{value:.10f}".rstrip("0").rstrip(".") or "0"


class DataError(Exception):
    """The data file is malformed or lacks something the model needs."""


@dataclass(frozen=True)
class Price:
    key: str
    value: float
    per: float
    unit: str
    region: str
    checked: str
    source: str
    evidence: str
    note: str

    @property
    def unit_price(self) -> float:
        """USD for one unit."""
        return self.value / self.per

    def describe(self) -> str:
        """The price as quoted, e.g. "0.0000166667 USD per GB-second", "0.2 USD per 1,000,000 request"."""
        per = "" if self.per == 1 else f"{self.per:,.0f} "
        return f"{plain_number(self.value)} USD per {per}{self.unit}"


@dataclass(frozen=True)
class Quota:
    key: str
    value: float
    unit: str
    region: str
    checked: str
    source: str
    evidence: str
    note: str

    def cite(self) -> str:
        doubt = "" if self.evidence == "official" else f", {self.evidence}"
        return f"{self.source} ({self.checked}{doubt})"


class PriceBook:
    """Prices by key; remembers which were read."""

    def __init__(self, prices: Mapping[str, Price]) -> None:
        self._prices = dict(prices)
        self.used: set[str] = set()

    def __getitem__(self, key: str) -> Price:
        try:
            price = self._prices[key]
        except KeyError:
            raise DataError(f"prices.json has no price {key!r}") from None
        self.used.add(key)
        return price

    def __contains__(self, key: object) -> bool:
        return key in self._prices

    def keys(self) -> list[str]:
        return sorted(self._prices)

    def all(self) -> list[Price]:
        return [self._prices[k] for k in self.keys()]


class QuotaBook:
    def __init__(self, quotas: Mapping[str, Quota]) -> None:
        self._quotas = dict(quotas)
        self.used: set[str] = set()

    def __getitem__(self, key: str) -> Quota:
        try:
            quota = self._quotas[key]
        except KeyError:
            raise DataError(f"prices.json has no quota {key!r}") from None
        self.used.add(key)
        return quota

    def value(self, key: str) -> float:
        return self[key].value

    def keys(self) -> list[str]:
        return sorted(self._quotas)

    def all(self) -> list[Quota]:
        return [self._quotas[k] for k in self.keys()]


@dataclass(frozen=True)
class EnvAssumptions:
    """What one environment's traffic looks like; see prices.json assumptions.environments."""

    monthly_events: float
    alert_share: float
    event_bytes: float
    idempotency_key_share: float
    records_per_invocation: Mapping[str, float]
    cold_start_share: float
    accept_conflict_share: float
    redelivery_share: float
    dynamodb_stream_shards: int
    kinesis_credentials: int
    az_count: int


@dataclass(frozen=True)
class Assumptions:
    values: Mapping[str, Any]
    notes: Mapping[str, str]
    environments: Mapping[str, EnvAssumptions]

    def __getitem__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise DataError(f"prices.json has no assumption {key!r}") from None

    def number(self, key: str, sub: str | None = None) -> float:
        value = self[key] if sub is None else self[key].get(sub)
        if not isinstance(value, int | float) or isinstance(value, bool):
            name = key if sub is None else f"{key}.{sub}"
            raise DataError(f"assumption {name} must be a number, got {value!r}")
        return float(value)

    def environment(self, name: str) -> EnvAssumptions:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments))
            raise DataError(f"prices.json has no assumptions for environment {name!r} (known: {known})") from None


@dataclass(frozen=True)
class CostData:
    prices: PriceBook
    quotas: QuotaBook
    assumptions: Assumptions
    path: Path


def _entry(raw: Any, key: str, kind: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DataError(f"{kind} {key} must be an object")
    missing = [f for f in _ENTRY_FIELDS if f not in raw]
    if missing:
        raise DataError(f"{kind} {key} lacks {', '.join(missing)}")
    if not isinstance(raw["value"], int | float) or isinstance(raw["value"], bool) or raw["value"] < 0:
        raise DataError(f"{kind} {key}: value must be a non-negative number")
    for name in ("unit", "region", "checked", "source"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise DataError(f"{kind} {key}: {name} must be a non-empty string")
    if raw["evidence"] not in EVIDENCE:
        raise DataError(f"{kind} {key}: evidence must be one of {', '.join(EVIDENCE)}")
    if raw["evidence"] != "official" and not str(raw["note"]).strip():
        raise DataError(f"{kind} {key}: a {raw['evidence']} value needs a note saying what is doubtful")
    return raw


def _price(key: str, raw: Any) -> Price:
    entry = _entry(raw, key, "price")
    per = entry.get("per")
    if not isinstance(per, int | float) or isinstance(per, bool) or per <= 0:
        raise DataError(f"price {key}: per must be a positive number")
    return Price(
        key=key,
        value=float(entry["value"]),
        per=float(per),
        unit=entry["unit"],
        region=entry["region"],
        checked=entry["checked"],
        source=entry["source"],
        evidence=entry["evidence"],
        note=str(entry["note"]),
    )


def _quota(key: str, raw: Any) -> Quota:
    entry = _entry(raw, key, "quota")
    return Quota(
        key=key,
        value=float(entry["value"]),
        unit=entry["unit"],
        region=entry["region"],
        checked=entry["checked"],
        source=entry["source"],
        evidence=entry["evidence"],
        note=str(entry["note"]),
    )


def _share(raw: Mapping[str, Any], key: str, env: str) -> float:
    value = raw.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise DataError(f"environment {env}: {key} must be a share between 0 and 1")
    return float(value)


def _positive(raw: Mapping[str, Any], key: str, env: str) -> float:
    value = raw.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise DataError(f"environment {env}: {key} must be a positive number")
    return float(value)


def _environment(name: str, raw: Any) -> EnvAssumptions:
    if not isinstance(raw, dict):
        raise DataError(f"environment {name} must be an object")
    records = raw.get("records_per_invocation")
    consumers = ("publisher", "processor", "sequencer", "analytics")
    if not isinstance(records, dict) or sorted(records) != sorted(consumers):
        raise DataError(f"environment {name}: records_per_invocation needs exactly {', '.join(consumers)}")
    for consumer, count in records.items():
        if not isinstance(count, int | float) or isinstance(count, bool) or count < 1:
            raise DataError(f"environment {name}: records_per_invocation.{consumer} must be at least 1")
    return EnvAssumptions(
        monthly_events=_positive(raw, "monthly_events", name),
        alert_share=_share(raw, "alert_share", name),
        event_bytes=_positive(raw, "event_bytes", name),
        idempotency_key_share=_share(raw, "idempotency_key_share", name),
        records_per_invocation={k: float(v) for k, v in records.items()},
        cold_start_share=_share(raw, "cold_start_share", name),
        accept_conflict_share=_share(raw, "accept_conflict_share", name),
        redelivery_share=_share(raw, "redelivery_share", name),
        dynamodb_stream_shards=int(_positive(raw, "dynamodb_stream_shards", name)),
        kinesis_credentials=int(_positive(raw, "kinesis_credentials", name)),
        az_count=int(_positive(raw, "az_count", name)),
    )


def _assumptions(raw: Any) -> Assumptions:
    if not isinstance(raw, dict):
        raise DataError("assumptions must be an object")
    values: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for key, entry in raw.items():
        if not isinstance(entry, dict) or "value" not in entry or not str(entry.get("note", "")).strip():
            raise DataError(f"assumption {key} needs a value and a note saying why")
        values[key] = entry["value"]
        notes[key] = str(entry["note"])
    environments = values.pop("environments", None)
    if not isinstance(environments, dict) or not environments:
        raise DataError("assumptions.environments must name at least one environment")
    return Assumptions(
        values=values,
        notes=notes,
        environments={name: _environment(name, env) for name, env in environments.items()},
    )


def parse(doc: Any, path: Path = DATA_FILE) -> CostData:
    if not isinstance(doc, dict):
        raise DataError(f"{path} must hold a JSON object")
    prices, quotas = doc.get("prices"), doc.get("quotas")
    if not isinstance(prices, dict) or not isinstance(quotas, dict):
        raise DataError(f"{path} needs 'prices' and 'quotas' objects")
    return CostData(
        prices=PriceBook({k: _price(k, v) for k, v in prices.items()}),
        quotas=QuotaBook({k: _quota(k, v) for k, v in quotas.items()}),
        assumptions=_assumptions(doc.get("assumptions")),
        path=path,
    )


def load(path: Path = DATA_FILE) -> CostData:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return parse(doc, path)

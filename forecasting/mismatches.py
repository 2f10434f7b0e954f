"""Where an opportunity and its SOW disagree, so Salesforce (and so the forecast) can be put right.

Flags, over every opportunity not removed in Salesforce:
- *signed, not won in Salesforce*: one of its SOWs is signed (or handed off), and Salesforce does not
  say the opportunity is closed won;
- *won in Salesforce, no signed SOW*: closed won, and none of its SOWs is signed;
- *SOW total differs from the opportunity amount*: the totals of its live SOWs (withdrawn ones left
  out; each SOW's current version) added up differ from the opportunity's amount.

An opportunity's SOW status is the furthest along of its SOWs' current versions (a SOW's current
version is its newest one that is neither withdrawn nor superseded).

How the amount is compared (in one currency): when every live SOW is in the opportunity's currency,
the amounts are compared as they are, to the cent. Otherwise each amount is converted into the
corporate currency (CORPORATE_CURRENCY) with today's exchange rates, rounded half-up to cents once,
the SOW amounts added up, and the two differ when they are more than SOW_AMOUNT_TOLERANCE_PERCENT of
the opportunity's converted amount apart (two conversions of one price rarely meet to the cent). An
amount in a currency with no rate today cannot be compared: it is not flagged, and says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.money import format_money
from engagements.models import Opportunity
from forecasting import live_cache
from forecasting.figures import RateBook, Rates
from sow.models import SowStatus, SowVersion

SIGNED = (SowStatus.SIGNED, SowStatus.HANDED_OFF)
NOT_CURRENT = (SowStatus.WITHDRAWN, SowStatus.SUPERSEDED)
# How far along a SOW is, for an opportunity's status when it has several.
PROGRESS = [
    SowStatus.WITHDRAWN,
    SowStatus.DRAFT,
    SowStatus.CHANGES_REQUESTED,
    SowStatus.SUBMITTED,
    SowStatus.APPROVED,
    SowStatus.SENT,
    SowStatus.SIGNED,
    SowStatus.HANDED_OFF,
]
RANK = {status.value: n for n, status in enumerate(PROGRESS)}

SIGNED_NOT_WON = "signed_not_won"
WON_NOT_SIGNED = "won_not_signed"
AMOUNT_DIFFERS = "amount_differs"
FLAGS: dict[str, str] = {
    SIGNED_NOT_WON: "Signed, not won in Salesforce",
    WON_NOT_SIGNED: "Won in Salesforce, no signed SOW",
    AMOUNT_DIFFERS: "SOW total differs from the opportunity amount",
}
SHORT: dict[str, str] = {
    SIGNED_NOT_WON: "signed, not won",
    WON_NOT_SIGNED: "won, no signed SOW",
    AMOUNT_DIFFERS: "SOW total ≠ amount",
}


@dataclass
class SowState:
    """An opportunity's SOW status and what disagrees with Salesforce."""

    opportunity_id: int
    status: str = ""  # "" when it has no SOW
    sow_count: int = 0
    sow_total: Decimal | None = None  # in sow_currency; None without a live SOW or across currencies
    sow_currency: str = ""
    flags: list[str] = field(default_factory=list)
    amount_note: str = ""  # how the amounts compared, in words

    @property
    def status_label(self) -> str:
        return SowStatus(self.status).label if self.status else "No SOW"

    @property
    def flag_labels(self) -> list[str]:
        return [FLAGS[flag] for flag in self.flags]

    @property
    def flag_items(self) -> list[tuple[str, str, str]]:
        """(key, label, short label) of each flag, for the pages."""
        return [(flag, FLAGS[flag], SHORT[flag]) for flag in self.flags]


@dataclass
class _Facts:
    pk: int
    is_won: bool
    amount: Decimal | None
    currency: str


def tolerance_percent() -> Decimal:
    return Decimal(str(settings.SOW_AMOUNT_TOLERANCE_PERCENT))


def _current_versions(rows: Iterable[dict[str, object]]) -> dict[int, dict[int, dict[str, object]]]:
    """opportunity id -> SOW id -> its current version (or its newest, when all are withdrawn)."""
    by_sow: dict[int, list[dict[str, object]]] = defaultdict(list)
    opportunity_of: dict[int, int] = {}
    for row in rows:
        sow_id = int(row["sow_id"])  # type: ignore[call-overload]  # ints from values()
        by_sow[sow_id].append(row)
        opportunity_of[sow_id] = int(row["sow__opportunity_id"])  # type: ignore[call-overload]
    result: dict[int, dict[int, dict[str, object]]] = defaultdict(dict)
    for sow_id, versions in by_sow.items():
        versions.sort(key=lambda v: v["number"], reverse=True)  # type: ignore[arg-type, return-value]
        live = [v for v in versions if v["status"] not in NOT_CURRENT]
        result[opportunity_of[sow_id]][sow_id] = live[0] if live else versions[0]
    return result


class _TodayRates:
    """Today's exchange rates, read only when an amount needs converting (most SOWs are in their
    opportunity's currency)."""

    def __init__(self, book: RateBook | None) -> None:
        self.book = book
        self._rates: Rates | None = None

    def get(self) -> Rates:
        if self._rates is None:
            self._rates = (self.book or RateBook.load()).on(timezone.localdate())
        return self._rates


def _compare_amounts(
    state: SowState, facts: _Facts, live: list[dict[str, object]], today: _TodayRates
) -> None:
    amount = facts.amount or Decimal("0")
    currencies = {str(v["currency"]) for v in live}
    if currencies == {facts.currency}:
        total = sum((Decimal(str(v["total"])) for v in live), Decimal("0"))
        state.sow_total, state.sow_currency = total, facts.currency
        if total != amount:
            state.flags.append(AMOUNT_DIFFERS)
            sow_text, opp_text = format_money(total, facts.currency), format_money(amount, facts.currency)
            state.amount_note = f"SOW {sow_text}, opportunity {opp_text}."
        return
    rates = today.get()
    converted_amount = rates.convert(amount, facts.currency)
    converted = [rates.convert(Decimal(str(v["total"])), str(v["currency"])) for v in live]
    if converted_amount is None or any(c is None for c in converted):
        missing = {str(v["currency"]) for v, c in zip(live, converted, strict=True) if c is None}
        if converted_amount is None:
            missing.add(facts.currency)
        state.amount_note = f"Not compared: no exchange rate today for {', '.join(sorted(missing))}."
        return
    total = sum((c for c in converted if c is not None), Decimal("0"))
    state.sow_total, state.sow_currency = total, rates.corporate
    allowed = abs(converted_amount) * tolerance_percent() / Decimal("100")
    if abs(total - converted_amount) > allowed:
        state.flags.append(AMOUNT_DIFFERS)
        state.amount_note = (
            f"SOW {format_money(total, rates.corporate)}, opportunity "
            f"{format_money(converted_amount, rates.corporate)} (both at today's rates)."
        )


def _states(
    facts: Iterable[_Facts], versions: list[dict[str, object]], rates: _TodayRates
) -> dict[int, SowState]:
    current = _current_versions(versions)
    states: dict[int, SowState] = {}
    for fact in facts:
        state = SowState(fact.pk)
        sows = list(current.get(fact.pk, {}).values())
        state.sow_count = len(sows)
        if sows:
            state.status = str(max((str(v["status"]) for v in sows), key=lambda s: RANK.get(s, 0)))
        signed = any(v["status"] in SIGNED for v in sows)
        if signed and not fact.is_won:
            state.flags.append(SIGNED_NOT_WON)
        if fact.is_won and not signed:
            state.flags.append(WON_NOT_SIGNED)
        live = [v for v in sows if v["status"] not in NOT_CURRENT]
        if live:
            _compare_amounts(state, fact, live, rates)
        states[fact.pk] = state
    return states


_VERSION_FIELDS = ("sow_id", "sow__opportunity_id", "number", "status", "total", "currency")


def _today_rates(book: RateBook | None) -> _TodayRates:
    return _TodayRates(book)


def sow_states(opportunities: Iterable[Opportunity], *, book: RateBook | None = None) -> dict[int, SowState]:
    """The SOW state of each of `opportunities` (loaded rows): one query for their SOW versions and,
    when a SOW is in another currency than its opportunity, one for the exchange rates (none when
    `book` is given), however many there are."""
    opportunities = list(opportunities)
    if not opportunities:
        return {}
    facts = [_Facts(o.pk, o.is_won, o.amount, o.currency) for o in opportunities]
    versions = list(
        SowVersion.objects.filter(sow__opportunity__in=[o.pk for o in opportunities])
        .values(*_VERSION_FIELDS)
        .order_by()
    )
    return _states(facts, versions, _today_rates(book))


def sow_states_for_ids(ids: Iterable[int | None], *, book: RateBook | None = None) -> dict[int, SowState]:
    """As sow_states, for opportunity ids (a drill-down's rows): one query for the opportunities with
    their SOW versions, one for the rates."""
    wanted = sorted({pk for pk in ids if pk is not None})
    if not wanted:
        return {}
    rows = list(
        Opportunity.objects.filter(pk__in=wanted)
        .values(
            "pk",
            "is_won",
            "amount",
            "currency",
            "sows__id",
            "sows__versions__number",
            "sows__versions__status",
            "sows__versions__total",
            "sows__versions__currency",
        )
        .order_by()
    )
    facts: dict[int, _Facts] = {}
    versions = []
    for row in rows:
        facts.setdefault(row["pk"], _Facts(row["pk"], row["is_won"], row["amount"], row["currency"]))
        if row["sows__versions__number"] is not None:
            versions.append(
                {
                    "sow_id": row["sows__id"],
                    "sow__opportunity_id": row["pk"],
                    "number": row["sows__versions__number"],
                    "status": row["sows__versions__status"],
                    "total": row["sows__versions__total"],
                    "currency": row["sows__versions__currency"],
                }
            )
    return _states(facts.values(), versions, _today_rates(book))


def _live() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(removed_in_salesforce_at__isnull=True)


def _signed_exists() -> Exists:
    return Exists(SowVersion.objects.filter(sow__opportunity=OuterRef("pk"), status__in=SIGNED))


def _with_sows_states(book: RateBook | None) -> dict[int, SowState]:
    """The state of every live opportunity that has a SOW (one query, plus the rates)."""
    rows = list(
        SowVersion.objects.filter(sow__opportunity__removed_in_salesforce_at__isnull=True)
        .values(
            *_VERSION_FIELDS,
            "sow__opportunity__is_won",
            "sow__opportunity__amount",
            "sow__opportunity__currency",
        )
        .order_by()
    )
    facts: dict[int, _Facts] = {}
    for row in rows:
        pk = row["sow__opportunity_id"]
        facts.setdefault(
            pk,
            _Facts(
                pk,
                row["sow__opportunity__is_won"],
                row["sow__opportunity__amount"],
                row["sow__opportunity__currency"],
            ),
        )
    return _states(facts.values(), rows, _today_rates(book))


@dataclass
class FlagCount:
    key: str
    label: str
    count: int


def flag_counts(*, book: RateBook | None = None) -> list[FlagCount]:
    """How many live opportunities carry each flag (three queries, however many there are), shared
    between the leaders opening the dashboard for one data version (forecasting.live_cache)."""
    parts = (timezone.localdate().isoformat(), book.version if book is not None else None)
    return live_cache.cached("sow-mismatches", parts, lambda: _flag_counts(book))


def _flag_counts(book: RateBook | None) -> list[FlagCount]:
    states = _with_sows_states(book)
    won_not_signed = _live().filter(is_won=True).exclude(_signed_exists()).count()
    counts = {
        SIGNED_NOT_WON: sum(SIGNED_NOT_WON in s.flags for s in states.values()),
        WON_NOT_SIGNED: won_not_signed,
        AMOUNT_DIFFERS: sum(AMOUNT_DIFFERS in s.flags for s in states.values()),
    }
    return [FlagCount(key, label, counts[key]) for key, label in FLAGS.items()]


def flagged(flag: str, *, book: RateBook | None = None) -> QuerySet[Opportunity]:
    """The live opportunities carrying `flag`, closing soonest first."""
    if flag == WON_NOT_SIGNED:
        qs = _live().filter(is_won=True).exclude(_signed_exists())
    else:
        ids = [pk for pk, s in _with_sows_states(book).items() if flag in s.flags]
        qs = _live().filter(pk__in=ids)
    return qs.select_related("account", "region", "engagement_manager").order_by("close_date", "name", "pk")

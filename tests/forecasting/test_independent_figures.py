"""An independent check of the forecast dashboard on a seeded, generated data set.

The test builds the pipeline week by week (three currencies with rates that change mid-quarter, one
currency without a rate, close dates on every fiscal boundary, amounts with cents, wins, losses,
removals, new deals, moved close dates, amount and colour changes, plans at org, region and EM
level with one EM who has a plan and no deals), takes the weekly snapshot after each week's changes
with the clock at that Monday, and keeps its own record of what every opportunity was that week.
Every expected figure is computed here, in plain Python, from that record and the rates and plans
the test wrote (never by calling the forecasting code), and compared to the cent with the
dashboard's HTML and every CSV, for every week and the previous, current and next quarter.
"""

from __future__ import annotations

import csv
import datetime as dt
import html as html_lib
import io
import random
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.fiscal import FiscalQuarter
from core.roles import Role
from engagements.models import Opportunity
from forecasting.models import BookingsPlan, ExchangeRate
from forecasting.services import snapshot_take
from people.models import Region
from tests.conftest import client_for
from tests.engagements.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
D = Decimal
CENT, TENTH = D("0.01"), D("0.1")
SEED = 1414
WEEKS = [dt.date(2026, 10, 19) + dt.timedelta(weeks=n) for n in range(7)]  # Oct 19 … Nov 30
QUARTERS = [FiscalQuarter.parse(label, start_month=2) for label in ("FY27-Q3", "FY27-Q4", "FY28-Q1")]
RATES = [
    ("EUR", D("1.08"), dt.date(2026, 1, 1)),
    ("EUR", D("1.1137"), dt.date(2026, 11, 12)),  # mid-quarter
    ("GBP", D("1.2641"), dt.date(2026, 1, 1)),
    ("GBP", D("1.2589"), dt.date(2026, 11, 20)),
]
CURRENCIES = ["USD", "USD", "EUR", "GBP", "BRL"]  # BRL has no rate
BOUNDARIES = [
    dt.date(2026, 7, 31),
    dt.date(2026, 8, 1),
    dt.date(2026, 10, 31),
    dt.date(2026, 11, 1),
    dt.date(2027, 1, 31),
    dt.date(2027, 2, 1),
    dt.date(2027, 4, 30),
    dt.date(2027, 5, 1),
]
COLOURS = ["Green", "Amber", "Red", "Grey"]
RANK = {"Grey": 0, "Red": 1, "Amber": 2, "Green": 3}
STALE_DAYS = 7


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_on(currency: str, day: dt.date) -> Decimal | None:
    if currency == "USD":
        return D("1")
    found = [(eff, r) for c, r, eff in RATES if c == currency and eff <= day]
    return max(found)[1] if found else None


def conv(amount: Decimal, currency: str, day: dt.date) -> Decimal | None:
    rate = rate_on(currency, day)
    return None if rate is None else cents(amount * rate)


def in_q(quarter: FiscalQuarter, day: dt.date) -> bool:
    return quarter.start <= day <= quarter.end


def money_text(value: Decimal | None) -> str:
    return "" if value is None else str(cents(value))


def pct_text(value: Decimal | None) -> str:
    return "" if value is None else str(value.quantize(TENTH, rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- the data set


class World:
    """The generated pipeline and the test's own record of it, week by week."""

    def __init__(self, ems, regions, idle_em) -> None:
        self.rng = random.Random(SEED)
        self.ems, self.regions, self.idle_em = ems, regions, idle_em
        self.state: dict[int, dict[str, Any]] = {}
        self.by_week: dict[dt.date, dict[int, dict[str, Any]]] = {}
        self.counter = 0

    def close_date(self) -> dt.date:
        if self.rng.random() < 0.35:
            return self.rng.choice(BOUNDARIES)
        return dt.date(2026, 8, 1) + dt.timedelta(days=self.rng.randrange(0, 272))

    def reviewed(self, week: dt.date) -> dt.datetime | None:
        choice = self.rng.random()
        if choice < 0.2:
            return None
        base = timezone.make_aware(dt.datetime.combine(week, dt.time(6)))
        return base - dt.timedelta(days=self.rng.randrange(0, 15), hours=self.rng.randrange(0, 24))

    def new_opportunity(self, week: dt.date) -> None:
        rng = self.rng
        self.counter += 1
        em = rng.choice([*self.ems, None])
        region = rng.choice([*self.regions, None])
        state = {
            "name": f"Deal {self.counter:03d}",
            "amount": D(rng.randrange(100_000, 50_000_000)) / 100,
            "currency": rng.choice(CURRENCIES),
            "close": self.close_date(),
            "conf": rng.choice(COLOURS),
            "closed": False,
            "won": False,
            "em": em,
            "region": region,
            "reviewed": self.reviewed(week),
            "removed": False,
        }
        outcome = rng.random()
        if outcome < 0.2:
            state["closed"] = state["won"] = True
        elif outcome < 0.3:
            state["closed"] = True
        opp = Opportunity.objects.create(
            name=state["name"],
            account=AccountFactory(region=region),
            stage="Negotiation",
            close_date=state["close"],
            amount=state["amount"],
            currency=state["currency"],
            em_confidence=state["conf"],
            em_confidence_rationale="x" if state["conf"] != "Grey" else "",
            is_closed=state["closed"],
            is_won=state["won"],
            engagement_manager=em,
            region=region,
            em_reviewed_at=state["reviewed"],
        )
        self.state[opp.pk] = state

    def change_some(self, week: dt.date) -> None:
        """A week's changes: moved close dates (across boundaries), amounts, colours, wins, losses,
        removals and new deals."""
        rng = self.rng
        live = [pk for pk, s in self.state.items() if not s["removed"]]
        open_ = [pk for pk in live if not self.state[pk]["closed"]]
        for pk in rng.sample(open_, min(len(open_), 14)):
            s = self.state[pk]
            kind = rng.choice(["close", "close", "amount", "amount", "conf", "conf", "win", "lose", "review"])
            if kind == "close":
                s["close"] = rng.choice(BOUNDARIES) if rng.random() < 0.6 else self.close_date()
            elif kind == "amount":
                s["amount"] = max(D("1.00"), s["amount"] + D(rng.randrange(-2_000_000, 2_000_000)) / 100)
            elif kind == "conf":
                s["conf"] = rng.choice([c for c in COLOURS if c != s["conf"]])
            elif kind == "win":
                s["closed"] = s["won"] = True
            elif kind == "lose":
                s["closed"] = True
            else:
                s["reviewed"] = timezone.make_aware(dt.datetime.combine(week, dt.time(5)))
            Opportunity.objects.filter(pk=pk).update(
                close_date=s["close"],
                amount=s["amount"],
                em_confidence=s["conf"],
                em_confidence_rationale="x" if s["conf"] != "Grey" else "",
                is_closed=s["closed"],
                is_won=s["won"],
                em_reviewed_at=s["reviewed"],
            )
        for pk in rng.sample(live, 2):
            self.state[pk]["removed"] = True
            Opportunity.objects.filter(pk=pk).update(removed_in_salesforce_at=timezone.now())
        for _ in range(4):
            self.new_opportunity(week)

    def record(self, week: dt.date) -> None:
        self.by_week[week] = {pk: dict(s) for pk, s in self.state.items() if not s["removed"]}


def take_at(monkeypatch, week: dt.date) -> None:
    """Take the week's snapshot as the Monday-morning run would, with the clock at that Monday."""
    moment = timezone.make_aware(dt.datetime.combine(week, dt.time(6)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    snapshot_take(week=week)
    monkeypatch.undo()


# quarter, scope ("org" / region index / "em" index / "idle"), amount, currency
PLANS: list[tuple[str, str | int, Decimal, str]] = [
    ("FY27-Q3", "org", D("9000000.00"), "USD"),
    ("FY27-Q4", "org", D("12500000.50"), "USD"),
    ("FY28-Q1", "org", D("8000000.00"), "EUR"),
    ("FY27-Q4", 0, D("4000000.00"), "USD"),
    ("FY27-Q4", 1, D("3000000.00"), "EUR"),
    ("FY27-Q3", 0, D("2500000.00"), "USD"),
    ("FY27-Q4", "em0", D("1500000.25"), "USD"),
    ("FY27-Q4", "em1", D("900000.00"), "GBP"),
    ("FY27-Q4", "idle", D("750000.00"), "USD"),
]


@pytest.fixture
def world(make_person, region_amer, region_emea, monkeypatch):
    apac = Region.objects.create(code="APAC", name="Asia Pacific")
    regions = [region_amer, region_emea, apac]
    ems = [
        make_person(Role.ENGAGEMENT_MANAGER, username=f"gen.em{n}", name=f"EM {name}", region=regions[n])
        for n, name in enumerate(["Avery", "Blake", "Casey"])
    ]
    idle = make_person(Role.ENGAGEMENT_MANAGER, username="gen.idle", name="EM Idle", region=apac)
    for currency, rate, effective in RATES:
        ExchangeRate.objects.create(currency=currency, rate=rate, effective_date=effective)
    for quarter, scope, amount, currency in PLANS:
        BookingsPlan.objects.create(
            quarter=quarter,
            amount=amount,
            currency=currency,
            region=regions[scope] if isinstance(scope, int) else None,
            engagement_manager=idle
            if scope == "idle"
            else ems[int(str(scope)[2])]
            if str(scope).startswith("em")
            else None,
        )
    w = World(ems, regions, idle)
    for _ in range(70):
        w.new_opportunity(WEEKS[0])
    for index, week in enumerate(WEEKS):
        if index:
            w.change_some(week)
        take_at(monkeypatch, week)
        w.record(week)
    return w


# --------------------------------------------------------------------------- expected figures


def plans_for(world: World, quarter: FiscalQuarter, day: dt.date):
    org, by_region, by_em = None, {}, {}
    regions = dict(enumerate(world.regions))
    for label, scope, amount, currency in PLANS:
        if label != quarter.label:
            continue
        value = conv(amount, currency, day)
        if value is None:
            continue
        if scope == "org":
            org = value
        elif isinstance(scope, int):
            by_region[regions[scope].code] = value
        elif scope == "idle":
            by_em[world.idle_em.name] = value
        else:
            by_em[world.ems[int(scope[2])].name] = value
    if org is None and by_region:
        org = sum(by_region.values(), D("0"))
    return org, by_region, by_em


def figures_of(
    rows: list[dict[str, Any]], day: dt.date, as_of: dt.datetime, plan: Decimal | None
) -> dict[str, Any]:
    def total(pred) -> Decimal:
        values = [conv(r["amount"], r["currency"], day) for r in rows if pred(r)]
        return sum((v for v in values if v is not None), D("0"))

    open_rows = [r for r in rows if not r["closed"]]
    won = total(lambda r: r["won"])
    commit = total(lambda r: not r["closed"] and r["conf"] == "Green")
    best = total(lambda r: not r["closed"] and r["conf"] in ("Green", "Amber"))
    counts = {c: sum(1 for r in open_rows if r["conf"] == c) for c in COLOURS}
    cutoff = as_of - dt.timedelta(days=STALE_DAYS)
    return {
        "closed_won": won,
        "commit": commit,
        "best_case": best,
        "pipeline": total(lambda r: not r["closed"]),
        "forecast": won + commit,
        "best_case_forecast": won + best,
        "plan": plan,
        "attainment": None if not plan else won / plan * 100,
        "gap": None if plan is None else plan - won,
        "counts": counts,
        "grey_share": None if not open_rows else D(counts["Grey"]) / D(len(open_rows)) * 100,
        "stale": sum(1 for r in open_rows if r["reviewed"] is None or r["reviewed"] < cutoff),
        "past_due": sum(1 for r in open_rows if r["close"] < day),
    }


def breakdown_rows(figures: dict[str, Any]) -> list[str]:
    return [
        money_text(figures["closed_won"]),
        money_text(figures["commit"]),
        money_text(figures["best_case"]),
        money_text(figures["pipeline"]),
        money_text(figures["forecast"]),
        money_text(figures["best_case_forecast"]),
        money_text(figures["plan"]),
        pct_text(figures["attainment"]),
        money_text(figures["gap"]),
        *[str(figures["counts"][c]) for c in COLOURS],
        pct_text(figures["grey_share"]),
        str(figures["stale"]),
    ]


def expected_breakdowns(rows, day, as_of, plans: dict[str, Decimal], key) -> dict[str, list[str]]:
    names = {key(r) for r in rows} | set(plans)
    return {
        name: breakdown_rows(figures_of([r for r in rows if key(r) == name], day, as_of, plans.get(name)))
        for name in names
    }


def commit_of(row, quarter, day):
    """A row's Commit contribution: 0 if not in Commit, None if in Commit without a rate."""
    if row is None or row["closed"] or row["conf"] != "Green" or not in_q(quarter, row["close"]):
        return D("0")
    return conv(row["amount"], row["currency"], day)


def expected_changes(
    before: dict[int, Any], after: dict[int, Any], quarter: FiscalQuarter, prev_day: dt.date, day: dt.date
):
    labels = {
        "new": "New to the quarter",
        "pulled_in": "Pulled in",
        "pushed_out": "Pushed out",
        "amount_up": "Amount up",
        "amount_down": "Amount down",
        "confidence_up": "Confidence up",
        "confidence_down": "Confidence down",
        "won": "Won",
        "lost": "Lost",
        "removed": "Removed in Salesforce",
    }
    items: list[tuple[str, str, str, str, str]] = []
    steps = dict.fromkeys(
        ["new", "pulled_in", "pushed_out", "confidence", "amount", "won", "lost", "removed", "rates"], D("0")
    )
    start = end = D("0")

    def item(key, row, amount, native):
        items.append((labels[key], row["name"], money_text(amount), money_text(native), row["currency"]))

    for pk in before.keys() | after.keys():
        p: Any = before.get(pk)  # a row or None: p_in and c_in below say which
        c: Any = after.get(pk)
        p_in = p is not None and in_q(quarter, p["close"])
        c_in = c is not None and in_q(quarter, c["close"])
        step = "rates"
        if c_in and not p_in:
            step = "new" if p is None else "pulled_in"
            item(step, c, conv(c["amount"], c["currency"], day), c["amount"])
        elif p_in and not c_in:
            step = "removed" if c is None else "pushed_out"
            item(step, p, conv(p["amount"], p["currency"], prev_day), p["amount"])
        elif p_in and c_in:
            if not p["closed"] and c["won"]:
                step = "won"
                item("won", c, conv(c["amount"], c["currency"], day), c["amount"])
            elif not p["closed"] and c["closed"]:
                step = "lost"
                item("lost", p, conv(p["amount"], p["currency"], prev_day), p["amount"])
            else:
                if RANK[c["conf"]] != RANK[p["conf"]]:
                    step = "confidence"
                    key = "confidence_up" if RANK[c["conf"]] > RANK[p["conf"]] else "confidence_down"
                    item(key, c, conv(c["amount"], c["currency"], day), c["amount"])
                if p["amount"] != c["amount"]:
                    if step != "confidence":
                        step = "amount"
                    now, then = (
                        conv(c["amount"], c["currency"], day),
                        conv(p["amount"], p["currency"], prev_day),
                    )
                    key = "amount_up" if c["amount"] > p["amount"] else "amount_down"
                    item(
                        key, c, None if now is None or then is None else now - then, c["amount"] - p["amount"]
                    )
        cb, ca = commit_of(p, quarter, prev_day), commit_of(c, quarter, day)
        if cb is not None and ca is not None:
            start += cb
            end += ca
            steps[step] += ca - cb
    waterfall = [
        ["Last week's Commit", money_text(start)],
        *[
            [label, money_text(steps[key])]
            for key, label in [
                ("new", "New"),
                ("pulled_in", "Pulled in"),
                ("pushed_out", "Pushed out"),
                ("confidence", "Confidence changes"),
                ("amount", "Amount changes"),
                ("won", "Won (moved to closed)"),
                ("lost", "Lost"),
                ("removed", "Removed"),
                ("rates", "Exchange rates"),
            ]
        ],
        ["This week's Commit", money_text(end)],
    ]
    return sorted(items), waterfall


# --------------------------------------------------------------------------- reading the pages


def read_csv(client, table: str, query: str) -> list[list[str]]:
    response = client.get(reverse("forecasting:export", args=[table]) + "?" + query)
    assert response.status_code == 200, (table, query)
    return list(csv.reader(io.StringIO(response.content.decode())))


def headline(page: str, testid: str) -> str:
    """The exact value of a headline: a money figure shows a compact amount and carries the exact
    one in its tooltip (title), any other headline is its text."""
    match = re.search(
        rf'data-testid="{testid}"[^>]*>\s*(?:<span class="figure" title="([^"]*)"[^>]*>)?([^<]*)<', page
    )
    assert match, testid
    exact, text = match.group(1), match.group(2)
    return html_lib.unescape(exact if exact is not None else text).strip()


def html_money(value: Decimal | None, currency: str = "") -> str:
    return "—" if value is None else f"{currency} {cents(value):,.2f}".strip()


def html_pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(TENTH, rounding=ROUND_HALF_UP)} %"


def table_rows(page: str, testid: str) -> dict[str, list[str]]:
    start = page.index(f'data-testid="{testid}"')
    body = page[start : page.index("</table>", start)]
    rows = {}
    for name, cells in re.findall(r'<th scope="row">(.*?)</th>(.*?)</tr>', body, re.S):
        texts = [
            re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)
        ]
        rows[html_lib.unescape(name)] = [html_lib.unescape(re.sub(r"\s+", " ", t)) for t in texts]
    return rows


def html_breakdown(figures: dict[str, Any]) -> list[str]:
    c = figures["counts"]
    return [
        html_money(figures["closed_won"]),
        html_money(figures["commit"]),
        html_money(figures["best_case"]),
        html_money(figures["pipeline"]),
        html_money(figures["plan"]),
        html_pct(figures["attainment"]),
        f"{c['Green']} / {c['Amber']} / {c['Red']} / {c['Grey']}",
        html_pct(figures["grey_share"]),
        str(figures["stale"]),
    ]


# --------------------------------------------------------------------------- the check


def test_every_figure_matches_an_independent_computation_for_every_week_and_quarter(world, leadership):
    client = client_for(leadership)
    checked = 0
    seen: set[str] = set()  # which kinds of change and figure the data set exercised
    region_name = {r.pk: r.code for r in world.regions}
    for index, week in enumerate(WEEKS):
        day = week  # taken on the Monday: its as-of date and its rates' date
        as_of = timezone.make_aware(dt.datetime.combine(week, dt.time(6)))
        rows_all = list(world.by_week[week].values())
        for quarter in QUARTERS:
            query = f"quarter={quarter.label}&week={week.isoformat()}"
            rows = [r for r in rows_all if in_q(quarter, r["close"])]
            org, region_plans, em_plans = plans_for(world, quarter, day)
            overall = figures_of(rows, day, as_of, org)
            page = client.get(reverse("forecasting:dashboard") + "?" + query).content.decode()
            assert f"Bookings forecast {quarter.label}" in page
            for testid, fig in [
                ("forecast", "forecast"),
                ("best-case-forecast", "best_case_forecast"),
                ("closed-won", "closed_won"),
                ("commit", "commit"),
                ("best-case", "best_case"),
                ("pipeline", "pipeline"),
                ("plan", "plan"),
            ]:
                assert headline(page, testid) == html_money(overall[fig], "USD"), (week, quarter.label, fig)
            assert headline(page, "attainment") == html_pct(overall["attainment"]), (week, quarter.label)
            assert headline(page, "past-due-count") == str(overall["past_due"]), (week, quarter.label)
            checked += 9
            if "No exchange rate for BRL" in page:
                seen.add("rate warning")
            if overall["past_due"]:
                seen.add("past due")

            def region_key(r):
                return region_name.get(r["region"].pk if r["region"] else None, "No region")

            def em_key(r):
                return r["em"].name if r["em"] else "Unassigned"

            for table, testid, key, plans in [
                ("regions", "by-region", region_key, region_plans),
                ("ems", "by-em", em_key, em_plans),
            ]:
                expected = expected_breakdowns(rows, day, as_of, plans, key)
                got = {line[0]: line[1:] for line in read_csv(client, table, query)[1:]}
                assert got == expected, (week, quarter.label, table)
                names = {key(r) for r in rows} | set(plans)
                expected_html = {
                    name: html_breakdown(
                        figures_of([r for r in rows if key(r) == name], day, as_of, plans.get(name))
                    )
                    for name in names
                }
                assert table_rows(page, testid) == expected_html, (week, quarter.label, testid)
                checked += sum(len(v) for v in expected.values()) + sum(
                    len(v) for v in expected_html.values()
                )

            # trend: every snapshot week from six days before the quarter to its end
            trend = []
            for other in WEEKS:
                if not quarter.start - dt.timedelta(days=6) <= other <= quarter.end:
                    continue
                other_rows = [r for r in world.by_week[other].values() if in_q(quarter, r["close"])]
                f = figures_of(other_rows, other, as_of, org)
                trend.append(
                    [
                        other.isoformat(),
                        money_text(f["closed_won"]),
                        money_text(f["commit"]),
                        money_text(f["best_case"]),
                        money_text(f["forecast"]),
                        money_text(f["best_case_forecast"]),
                        money_text(org),
                    ]
                )
            assert read_csv(client, "trend", query)[1:] == trend, (week, quarter.label)
            checked += sum(len(t) for t in trend)

            # closing by week: Monday of each close date, won and open, from the quarter's first week
            closing: dict[dt.date, list[Decimal]] = {}
            monday = quarter.start - dt.timedelta(days=quarter.start.weekday())
            while monday <= quarter.end:
                closing[monday] = [D("0"), D("0")]
                monday += dt.timedelta(days=7)
            for r in rows:
                value = conv(r["amount"], r["currency"], day)
                if value is None or (r["closed"] and not r["won"]):
                    continue
                closing[r["close"] - dt.timedelta(days=r["close"].weekday())][0 if r["won"] else 1] += value
            assert read_csv(client, "closing", query)[1:] == [
                [w.isoformat(), money_text(won), money_text(open_)] for w, (won, open_) in closing.items()
            ], (week, quarter.label)
            checked += 3 * len(closing)

            # drill-downs add up to their figures
            for metric in ("closed_won", "commit", "best_case", "pipeline", "forecast", "past_due"):
                lines = list(
                    csv.reader(
                        io.StringIO(
                            client.get(
                                reverse("forecasting:drill") + f"?{query}&metric={metric}&format=csv"
                            ).content.decode()
                        )
                    )
                )
                drilled = sum((D(line[7]) for line in lines[1:] if line[7]), D("0"))
                if metric == "past_due":
                    assert len(lines) - 1 == overall["past_due"]
                else:
                    assert drilled == overall[metric], (week, quarter.label, metric)
                checked += 1

            # what changed and the Commit waterfall, against the week before
            changes = read_csv(client, "changes", query)[1:]
            waterfall = read_csv(client, "waterfall", query)[1:]
            if index == 0:
                assert changes == [] and waterfall == []
                continue
            previous = WEEKS[index - 1]
            items, steps = expected_changes(
                world.by_week[previous], world.by_week[week], quarter, previous, day
            )
            assert sorted((line[0], line[1], line[3], line[4], line[5]) for line in changes) == items, (
                week,
                quarter.label,
            )
            assert waterfall == steps, (week, quarter.label)
            checked += 5 * len(items) + len(steps)
            seen |= {label for label, *_ in items}
            if any(not amount for _, _, amount, _, _ in items):
                seen.add("unconverted change")
    print(f"independent check: {checked} figures compared; exercised: {sorted(seen)}")
    assert {
        "New to the quarter",
        "Pulled in",
        "Pushed out",
        "Amount up",
        "Amount down",
        "Confidence up",
        "Confidence down",
        "Won",
        "Lost",
        "Removed in Salesforce",
        "unconverted change",
        "rate warning",
        "past due",
    } <= seen
    assert checked > 3000

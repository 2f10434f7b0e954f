"""What changed between two weeks: each opportunity is compared with itself a week earlier.

Categories: new to the quarter, pulled in, pushed out, removed (deleted in Salesforce), won, lost,
amount up/down and confidence up/down (an opportunity in the quarter both weeks may be in both of
the last two). A move into or out of the quarter counts as the move, whatever else changed.
The waterfall takes last week's Commit to this week's: each opportunity's change in its Commit
contribution is booked to one step, so the steps add up exactly. An amount without an exchange rate
(on either week, for the waterfall) is never summed: the item is listed with its own amount and
currency, left out of the converted totals, and a warning says so.

On PostgreSQL the comparison is one statement (the two weeks' rows joined on the opportunity, each
kind of change one CASE, the waterfall grouped by step, and only the largest items of each kind
fetched with ROW_NUMBER(), with the count and totals of all of them); elsewhere the same rules run
row by row in Python, and a test checks that both give the very same result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Value

from core.fiscal import FiscalQuarter
from engagements.models import CONFIDENCE_RANK, Confidence
from forecasting import live_cache, week_cache
from forecasting.figures import ZERO, RateBook, Rates, Source, corporate_currency, in_quarter

CATEGORIES = [
    ("new", "New to the quarter"),
    ("pulled_in", "Pulled in"),
    ("pushed_out", "Pushed out"),
    ("amount_up", "Amount up"),
    ("amount_down", "Amount down"),
    ("confidence_up", "Confidence up"),
    ("confidence_down", "Confidence down"),
    ("won", "Won"),
    ("lost", "Lost"),
    ("removed", "Removed in Salesforce"),
]
WATERFALL_STEPS = [
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
SHOWN = 10  # items listed per kind of change on the page
_FIELDS = ("s_opp", "s_name", "s_account", "s_close", "s_amount", "s_currency", "s_conf", "s_won", "s_closed")


@dataclass
class ChangedOpportunity:
    opportunity_id: int | None
    name: str
    account: str
    amount: Decimal | None  # corporate currency: the amount behind the change (a delta for amount
    # changes); None when a week it needs has no exchange rate for the currency
    detail: str
    native_amount: Decimal = ZERO  # the same in the opportunity's own currency
    currency: str = ""


@dataclass
class Category:
    key: str
    label: str
    # The largest first: every item, or only the largest ones when the comparison was limited.
    items: list[ChangedOpportunity] = field(default_factory=list)
    count: int = 0  # every item, listed or not
    amount: Decimal = ZERO  # the converted items' total; items without a rate are in `unconverted`
    unconverted: dict[str, Decimal] = field(default_factory=dict)  # by currency, sorted

    @property
    def shown(self) -> list[ChangedOpportunity]:
        """The largest SHOWN items (the page lists these; the CSV export lists every one)."""
        return self.items[:SHOWN]

    @property
    def more(self) -> int:
        """How many items the page does not list."""
        return max(0, self.count - len(self.shown))


@dataclass
class Changes:
    previous: Source
    current: Source
    categories: list[Category]
    waterfall_start: Decimal
    waterfall: list[tuple[str, str, Decimal]]
    waterfall_end: Decimal
    warnings: list[str] = field(default_factory=list)
    cache_key: str | None = None  # the key these changes are cached under (None when not cached)

    def category(self, key: str) -> Category:
        return next(c for c in self.categories if c.key == key)


def _side(source: Source, quarter: FiscalQuarter, other: Source, side: int) -> QuerySet[Any]:
    """The source's rows in the quarter, plus its rows for opportunities the other source has in it
    (and every row whose opportunity is gone, matched on its name and account)."""
    other_ids = other.rows().filter(in_quarter(quarter)).exclude(s_opp__isnull=True).values("s_opp")
    rows: QuerySet[Any] = (
        source.rows()
        .filter(in_quarter(quarter) | Q(s_opp__in=other_ids) | Q(s_opp__isnull=True))
        .annotate(s_side=Value(side, output_field=IntegerField()))
        .values(*_FIELDS, "s_side")
        .order_by()
    )
    return rows


def _rows(previous: Source, current: Source, quarter: FiscalQuarter) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Both weeks' rows in one query, keyed by opportunity."""
    sides: tuple[dict[Any, Any], dict[Any, Any]] = ({}, {})
    for row in _side(previous, quarter, current, 0).union(_side(current, quarter, previous, 1), all=True):
        key = row["s_opp"] if row["s_opp"] is not None else ("deleted", row["s_name"], row["s_account"])
        sides[row["s_side"]][key] = row
    return sides


def _converted(row: dict[str, Any], rates: Rates) -> Decimal | None:
    return rates.convert(row["s_amount"], row["s_currency"])


def _commit(row: dict[str, Any] | None, bounds: tuple[dt.date, dt.date], rates: Rates) -> Decimal | None:
    """The row's Commit contribution; None when it counts in Commit but has no rate."""
    if (
        row is None
        or row["s_closed"]
        or row["s_conf"] != Confidence.GREEN
        or not bounds[0] <= row["s_close"] <= bounds[1]
    ):
        return ZERO
    return _converted(row, rates)


def _order(key: Any) -> tuple[int, int, str, str]:
    """The order opportunities are compared in: by id, then the gone ones by name and account."""
    if isinstance(key, tuple):
        return (1, 0, key[1], key[2])
    return (0, key, "", "")


def _item_order(item: ChangedOpportunity) -> tuple[bool, Decimal, str, str, int]:
    """The largest first; the ones without a rate after the others (the SQL path's ROW_NUMBER order)."""
    return (
        item.amount is None,
        -abs(item.amount or item.native_amount),
        item.name,
        item.account,
        item.opportunity_id or 0,
    )


def compare(
    quarter: FiscalQuarter,
    previous: Source,
    current: Source,
    book: RateBook | None = None,
    *,
    limit: int | None = None,
) -> Changes:
    """Every change between the two weeks for the quarter (one query, plus the rates unless given),
    each kind's items the largest first: all of them, or the `limit` largest (the count and totals
    still cover every one). Two snapshots' comparison comes from the cache while both weeks' rows and
    the rates are unchanged."""
    book = book or RateBook.load()

    def compute(key: str | None) -> Changes:
        changes = _compare(quarter, previous, current, book, limit)
        changes.cache_key = key
        return changes

    if previous.snapshot is not None and current.snapshot is None:
        # The latest snapshot against the live pipeline: shared for the data version.
        parts = (
            quarter.label,
            corporate_currency(),
            current.as_of_date,
            week_cache.snapshot_version(previous.snapshot),
            book.version,
            limit,
        )
        live_key = live_cache.key_for("changes", parts)
        return live_cache.cached("changes", parts, lambda: compute(live_key), key=live_key)
    if previous.snapshot is None or current.snapshot is None:
        return compute(None)
    key = week_cache.cache_key(
        "changes",
        quarter.label,
        corporate_currency(),
        week_cache.snapshot_version(previous.snapshot),
        week_cache.snapshot_version(current.snapshot),
        book.version,
        limit,
    )
    return week_cache.cached(key, lambda: compute(key))


# Whether PostgreSQL compares the weeks in one statement (the Python path stays for SQLite and as
# the reference the SQL path is tested against).
USE_SQL = True


def _compare(
    quarter: FiscalQuarter, previous: Source, current: Source, book: RateBook, limit: int | None
) -> Changes:
    if connection.vendor == "postgresql" and USE_SQL:
        return _compare_sql(quarter, previous, current, book, limit)
    return _compare_python(quarter, previous, current, book, limit)


def _warnings(categories: list[Category], left_out: list[tuple[str, str, Decimal, dt.date]]) -> list[str]:
    warnings = []
    for category in categories:
        for currency, amount in category.unconverted.items():
            warnings.append(
                f"{category.label}: no exchange rate for {currency} on a week compared, so {currency} "
                f"{amount:,.2f} is listed in {currency} and left out of the totals. Add a rate in the admin."
            )
    for name, currency, amount, on in left_out:
        warnings.append(
            f"No exchange rate for {currency} on {on:%Y-%m-%d}: {name} ({currency} {amount:,.2f}) is "
            "left out of the Commit waterfall."
        )
    return warnings


def _compare_python(
    quarter: FiscalQuarter, previous: Source, current: Source, book: RateBook, limit: int | None
) -> Changes:
    prev_rates, cur_rates = previous.rates(book), current.rates(book)
    before, after = _rows(previous, current, quarter)
    categories = {key: Category(key, label) for key, label in CATEGORIES}
    steps = {key: ZERO for key, _ in WATERFALL_STEPS}
    start = end = ZERO
    # The quarter's bounds once (FiscalQuarter works them out on every call).
    bounds = first, last = quarter.start, quarter.end
    left_out: list[tuple[str, str, Decimal, dt.date]] = []  # name, currency, amount, rates' date

    def add(
        key: str, row: dict[str, Any], amount: Decimal | None, detail: str, native: Decimal | None = None
    ) -> None:
        categories[key].items.append(
            ChangedOpportunity(
                row["s_opp"],
                row["s_name"],
                row["s_account"],
                amount,
                detail,
                row["s_amount"] if native is None else native,
                row["s_currency"],
            )
        )

    for key in sorted(before.keys() | after.keys(), key=_order):
        p, c = before.get(key), after.get(key)
        p_in = p is not None and first <= p["s_close"] <= last
        c_in = c is not None and first <= c["s_close"] <= last
        if not p_in and not c_in:
            continue  # a gone opportunity's row outside the quarter both weeks
        commit_before, commit_after = _commit(p, bounds, prev_rates), _commit(c, bounds, cur_rates)
        if commit_before is None or commit_after is None:
            # No rate on a week it counts in Commit: the opportunity stays out of the waterfall.
            for row, rates, value in ((p, prev_rates, commit_before), (c, cur_rates, commit_after)):
                if row is not None and value is None:
                    left_out.append((row["s_name"], row["s_currency"], row["s_amount"], rates.on))
            delta = ZERO
        else:
            start += commit_before
            end += commit_after
            delta = commit_after - commit_before
        step = "rates"
        if c_in and not p_in:
            assert c is not None
            step = "new" if p is None else "pulled_in"
            add(
                step,
                c,
                _converted(c, cur_rates),
                "new" if p is None else f"close date {p['s_close']:%Y-%m-%d} → {c['s_close']:%Y-%m-%d}",
            )
        elif p_in and not c_in:
            assert p is not None
            step = "removed" if c is None else "pushed_out"
            add(
                step,
                p,
                _converted(p, prev_rates),
                "deleted in Salesforce"
                if c is None
                else f"close date {p['s_close']:%Y-%m-%d} → {c['s_close']:%Y-%m-%d}",
            )
        elif p_in and c_in:
            assert p is not None and c is not None
            if not p["s_closed"] and c["s_won"]:
                step = "won"
                add("won", c, _converted(c, cur_rates), "closed won")
            elif not p["s_closed"] and c["s_closed"]:
                step = "lost"
                add("lost", p, _converted(p, prev_rates), "closed lost")
            else:
                rank_before, rank_after = CONFIDENCE_RANK[p["s_conf"]], CONFIDENCE_RANK[c["s_conf"]]
                if rank_after != rank_before:
                    step = "confidence"
                    add(
                        "confidence_up" if rank_after > rank_before else "confidence_down",
                        c,
                        _converted(c, cur_rates),
                        f"{p['s_conf']} → {c['s_conf']}",
                    )
                if p["s_currency"] == c["s_currency"] and p["s_amount"] != c["s_amount"]:
                    if step != "confidence":
                        step = "amount"
                    now, then = _converted(c, cur_rates), _converted(p, prev_rates)
                    add(
                        "amount_up" if c["s_amount"] > p["s_amount"] else "amount_down",
                        c,
                        None if now is None or then is None else now - then,
                        f"{p['s_currency']} {p['s_amount']:,.2f} → {c['s_amount']:,.2f}",
                        native=c["s_amount"] - p["s_amount"],
                    )
        if delta:
            steps[step] += delta
    waterfall = [(key, label, steps[key]) for key, label in WATERFALL_STEPS]
    for category in categories.values():
        category.items.sort(key=_item_order)
        category.count = len(category.items)
        category.amount = sum((item.amount for item in category.items if item.amount is not None), ZERO)
        unconverted: dict[str, Decimal] = {}
        for item in category.items:
            if item.amount is None:
                unconverted[item.currency] = unconverted.get(item.currency, ZERO) + item.native_amount
        category.unconverted = dict(sorted(unconverted.items()))
        if limit is not None:
            del category.items[limit:]
    listed = list(categories.values())
    return Changes(previous, current, listed, start, waterfall, end, _warnings(listed, left_out))


_ITEM_FROM_CURRENT = ("new", "pulled_in", "won")  # the rest of the moves are listed as last week stood


def _compare_sql(
    quarter: FiscalQuarter, previous: Source, current: Source, book: RateBook, limit: int | None
) -> Changes:
    """The comparison in one PostgreSQL statement: both weeks' rows (each converted with its week's
    rates and rounded to cents) full-joined on the opportunity; the kind of move, of confidence change
    and of amount change each one CASE; the waterfall summed by step; the items of each kind ranked
    with ROW_NUMBER() in the Python path's order and only the first `limit` fetched, with every
    item's count and totals by currency; and the opportunities left out of the waterfall."""
    prev_rates, cur_rates = previous.rates(book), current.rates(book)
    first, last = quarter.start, quarter.end
    params: list[Any] = []

    def rates_values(rates: Rates) -> str:
        rows = rates.all()
        params.extend(value for pair in rows for value in pair)
        return ", ".join(["(%s, CAST(%s AS numeric))"] * len(rows))

    def side(source: Source, other: Source, rates: str) -> str:
        # Only the rows the comparison can need (as the Python path reads them): the quarter's, and
        # those of opportunities the other week has in it.
        sql, side_params = _side(source, quarter, other, 0).query.sql_with_params()
        params.extend([first, last, Confidence.GREEN, first, last])  # in the SELECT list, then the rows
        params.extend(side_params)
        return f"""
            SELECT q.*, ROUND(q.s_amount * {rates}.rate, 2) AS conv, COALESCE(q.s_opp, 0) AS k_opp,
                   CASE WHEN q.s_opp IS NULL THEN q.s_name ELSE '' END AS k_name,
                   CASE WHEN q.s_opp IS NULL THEN q.s_account ELSE '' END AS k_account,
                   q.s_close BETWEEN %s AND %s AS s_in,
                   (NOT q.s_closed AND q.s_conf = %s AND q.s_close BETWEEN %s AND %s) AS s_commit
            FROM ({sql}) q LEFT JOIN {rates} ON {rates}.currency = q.s_currency
        """  # noqa: S608 (the ORM's own SQL and fixed names only)

    prev_values = rates_values(prev_rates)
    cur_values = rates_values(cur_rates)
    prev_sql = side(previous, current, "pr")
    cur_sql = side(current, previous, "cr")

    def rank(column: str) -> str:
        params.extend(value for pair in CONFIDENCE_RANK.items() for value in pair)
        return f"CASE {column} {' '.join(['WHEN %s THEN %s'] * len(CONFIDENCE_RANK))} END"

    p_rank, c_rank = rank("j.p_conf"), rank("j.c_conf")
    columns = ["opp", "name", "account", "close", "amount", "currency", "conf", "won", "closed", "conv"]
    picked = ", ".join(
        f"{w}.{'s_' + c if c != 'conv' else c} AS {w}_{c}" for w in ("p", "c") for c in columns
    )
    from_current = ", ".join(["%s"] * len(_ITEM_FROM_CURRENT))
    params.extend(_ITEM_FROM_CURRENT)

    def pick(column: str) -> str:
        return f"CASE WHEN l.move IN ({from_current}) THEN l.c_{column} ELSE l.p_{column} END"

    moved = ", ".join(
        f"{pick(column)} AS {column}" for column in ("opp", "name", "account", "conv", "amount", "currency")
    )
    params.extend(_ITEM_FROM_CURRENT * 5)
    details = "l.p_close, l.c_close, l.p_conf, l.c_conf, l.p_amount, l.c_amount"
    ranked_where = ""
    if limit is not None:
        ranked_where = "WHERE position <= %s"
        params.append(limit)
    sql = f"""
        WITH pr (currency, rate) AS (VALUES {prev_values}),
        cr (currency, rate) AS (VALUES {cur_values}),
        p AS ({prev_sql}),
        c AS ({cur_sql}),
        j AS (
            SELECT COALESCE(p.k_opp, c.k_opp) AS k_opp, p.k_opp IS NOT NULL AS has_p,
                   c.k_opp IS NOT NULL AS has_c, COALESCE(p.s_in, FALSE) AS p_in,
                   COALESCE(c.s_in, FALSE) AS c_in, COALESCE(p.s_commit, FALSE) AS p_commit,
                   COALESCE(c.s_commit, FALSE) AS c_commit, {picked}
            FROM p FULL JOIN c
              ON p.k_opp = c.k_opp AND p.k_name = c.k_name AND p.k_account = c.k_account
            WHERE p.s_in OR c.s_in
        ),
        k AS (
            SELECT j.*,
              CASE WHEN j.c_in AND NOT j.p_in THEN CASE WHEN j.has_p THEN 'pulled_in' ELSE 'new' END
                   WHEN j.p_in AND NOT j.c_in THEN CASE WHEN j.has_c THEN 'pushed_out' ELSE 'removed' END
                   WHEN NOT j.p_closed AND j.c_won THEN 'won'
                   WHEN NOT j.p_closed AND j.c_closed THEN 'lost'
              END AS move,
              {p_rank} AS p_rank, {c_rank} AS c_rank,
              (j.p_commit AND j.p_conv IS NULL) AS p_missing, (j.c_commit AND j.c_conv IS NULL) AS c_missing
            FROM j
        ),
        l AS (
            SELECT k.*,
              CASE WHEN k.move IS NULL AND k.c_rank > k.p_rank THEN 'confidence_up'
                   WHEN k.move IS NULL AND k.c_rank < k.p_rank THEN 'confidence_down'
              END AS confidence,
              CASE WHEN k.move IS NULL AND k.p_currency = k.c_currency AND k.c_amount > k.p_amount
                     THEN 'amount_up'
                   WHEN k.move IS NULL AND k.p_currency = k.c_currency AND k.c_amount < k.p_amount
                     THEN 'amount_down'
              END AS amount_change,
              NOT (k.p_missing OR k.c_missing) AS counted,
              CASE WHEN k.p_missing OR k.c_missing THEN 0
                   ELSE (CASE WHEN k.c_commit THEN k.c_conv ELSE 0 END)
                        - (CASE WHEN k.p_commit THEN k.p_conv ELSE 0 END)
              END AS delta
            FROM k
        ),
        items AS (
            SELECT l.move AS kind, {moved}, {details} FROM l WHERE l.move IS NOT NULL
            UNION ALL
            SELECT l.confidence, l.c_opp, l.c_name, l.c_account, l.c_conv, l.c_amount, l.c_currency, {details}
            FROM l WHERE l.confidence IS NOT NULL
            UNION ALL
            SELECT l.amount_change, l.c_opp, l.c_name, l.c_account, l.c_conv - l.p_conv,
                   l.c_amount - l.p_amount, l.c_currency, {details}
            FROM l WHERE l.amount_change IS NOT NULL
        ),
        ranked AS (
            SELECT items.*, ROW_NUMBER() OVER (
                PARTITION BY items.kind
                ORDER BY items.conv IS NULL,
                         ABS(CASE WHEN items.conv IS NULL OR items.conv = 0 THEN items.amount
                                  ELSE items.conv END) DESC,
                         items.name COLLATE "C", items.account COLLATE "C", COALESCE(items.opp, 0)
            ) AS position
            FROM items
        )
        SELECT 0, kind, position, opp, name, account, conv, amount, currency,
               p_close, c_close, p_conf, c_conf, p_amount, c_amount, CAST(NULL AS bigint)
        FROM ranked {ranked_where}
        UNION ALL
        SELECT 1, kind, NULL, NULL, NULL, NULL, SUM(conv), SUM(amount) FILTER (WHERE conv IS NULL),
               currency, NULL, NULL, NULL, NULL, NULL, NULL, COUNT(*)
        FROM items GROUP BY kind, currency
        UNION ALL
        SELECT 2, CASE WHEN l.move IS NOT NULL THEN l.move
                       WHEN l.confidence IS NOT NULL THEN 'confidence'
                       WHEN l.amount_change IS NOT NULL THEN 'amount' ELSE 'rates' END,
               NULL, NULL, NULL, NULL, SUM(l.delta), NULL, NULL, NULL, NULL, NULL, NULL,
               SUM(CASE WHEN l.p_commit THEN l.p_conv ELSE 0 END) FILTER (WHERE l.counted),
               SUM(CASE WHEN l.c_commit THEN l.c_conv ELSE 0 END) FILTER (WHERE l.counted),
               NULL
        FROM l GROUP BY 2
        UNION ALL
        SELECT 3, 'p', NULL, l.k_opp, l.p_name, l.p_account, NULL, l.p_amount, l.p_currency,
               NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM l WHERE l.p_missing
        UNION ALL
        SELECT 3, 'c', NULL, l.k_opp, l.c_name, l.c_account, NULL, l.c_amount, l.c_currency,
               NULL, NULL, NULL, NULL, NULL, NULL, NULL
        FROM l WHERE l.c_missing
    """  # noqa: S608 (only the ORM's own SQL, fixed names and placeholders are formatted in)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        results = cursor.fetchall()
    categories = {key: Category(key, label) for key, label in CATEGORIES}
    steps = {key: ZERO for key, _ in WATERFALL_STEPS}
    start = end = ZERO
    ranked: list[tuple[str, int, ChangedOpportunity]] = []
    left_out: list[tuple[tuple[int, int, str, str], int, str, str, Decimal, dt.date]] = []
    for row in results:
        kind_of_row, kind = row[0], row[1]
        if kind_of_row == 0:
            opp, name, account, conv, amount, currency = row[3:9]
            p_close, c_close, p_conf, c_conf, p_amount, c_amount = row[9:15]
            ranked.append(
                (
                    kind,
                    row[2],
                    ChangedOpportunity(
                        opp,
                        name,
                        account,
                        conv,
                        _detail(kind, p_close, c_close, p_conf, c_conf, currency, p_amount, c_amount),
                        amount,
                        currency,
                    ),
                )
            )
        elif kind_of_row == 1:
            category = categories[kind]
            category.count += row[15]
            category.amount += row[6] or ZERO
            if row[7] is not None:
                category.unconverted[row[8]] = category.unconverted.get(row[8], ZERO) + row[7]
        elif kind_of_row == 2:
            steps[kind] += row[6] or ZERO
            start += row[13] or ZERO
            end += row[14] or ZERO
        else:
            order = _order(row[3] if row[3] else ("deleted", row[4], row[5]))
            side_index = 0 if kind == "p" else 1
            on = prev_rates.on if kind == "p" else cur_rates.on
            left_out.append((order, side_index, row[4], row[8], row[7], on))
    for kind, _, item in sorted(ranked, key=lambda entry: (entry[0], entry[1])):
        categories[kind].items.append(item)
    for category in categories.values():
        category.unconverted = dict(sorted(category.unconverted.items()))
    left_out.sort(key=lambda entry: (entry[0], entry[1]))
    listed = list(categories.values())
    waterfall = [(key, label, steps[key]) for key, label in WATERFALL_STEPS]
    warnings = _warnings(listed, [(name, cur, amount, on) for _, _, name, cur, amount, on in left_out])
    return Changes(previous, current, listed, start, waterfall, end, warnings)


def _detail(
    kind: str,
    p_close: dt.date | None,
    c_close: dt.date | None,
    p_conf: str | None,
    c_conf: str | None,
    currency: str,
    p_amount: Decimal | None,
    c_amount: Decimal | None,
) -> str:
    """An item's detail, worded as the Python path words it."""
    if kind == "new":
        return "new"
    if kind == "removed":
        return "deleted in Salesforce"
    if kind in ("pulled_in", "pushed_out"):
        return f"close date {p_close:%Y-%m-%d} → {c_close:%Y-%m-%d}"
    if kind == "won":
        return "closed won"
    if kind == "lost":
        return "closed lost"
    if kind in ("confidence_up", "confidence_down"):
        return f"{p_conf} → {c_conf}"
    return f"{currency} {p_amount:,.2f} → {c_amount:,.2f}"


def previous_week(week: dt.date | None, weeks: list[dt.date]) -> dt.date | None:
    """The snapshot week before `week` (or the latest one, for the live view)."""
    earlier = [w for w in weeks if week is None or w < week]
    return max(earlier, default=None)

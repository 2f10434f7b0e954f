"""The SOQL subset the fake org understands — what the sync sends and a little more:

    SELECT f1, Rel.f2, ... FROM Object
        [WHERE <expr>] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n]

<expr> combines comparisons (=, !=, <>, <, <=, >, >=, LIKE, IN (...), NOT IN (...)) with AND, OR,
NOT and parentheses; values are 'strings', numbers, TRUE/FALSE/NULL, dates and datetimes.
String comparisons ignore case, as Salesforce's do. Anything else is a SoqlError, which the
server answers with MALFORMED_QUERY like Salesforce.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

Getter = Callable[[dict[str, Any], str], Any]
Predicate = Callable[[dict[str, Any]], bool]


class SoqlError(ValueError):
    pass


class SalesforceId(str):
    """An id field's value: equal to a literal naming the same record in its 15-character
    (case-sensitive) or 18-character (case-safe) form, as Salesforce compares ids."""

    __slots__ = ()


def _same_id(left: str, right: str) -> bool:
    if {len(left), len(right)} == {15, 18}:
        return left[:15] == right[:15]
    return left == right


_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
     |(?P<date>\d{4}-\d{2}-\d{2})(?![\d:T])
     |(?P<number>-?\d+(?:\.\d+)?)
     |'(?P<string>(?:[^'\\]|\\.)*)'
     |(?P<op><=|>=|!=|<>|=|<|>)
     |(?P<punct>[(),])
     |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "LIKE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "TRUE",
    "FALSE",
    "NULL",
}


@dataclass
class Token:
    kind: str
    value: Any
    text: str


def parse_datetime_literal(text: str) -> dt.datetime:
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    return dt.datetime.fromisoformat(text)


def tokenize(soql: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    soql = soql.strip()
    while pos < len(soql):
        match = _TOKEN.match(soql, pos)
        if not match or match.end() == pos:
            raise SoqlError(f"unexpected token at position {pos}: {soql[pos : pos + 20]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        raw = match.group(kind)
        value: Any = raw
        if kind == "datetime":
            value = parse_datetime_literal(raw)
        elif kind == "date":
            value = dt.date.fromisoformat(raw)
        elif kind == "number":
            value = Decimal(raw)
        elif kind == "string":
            value = re.sub(r"\\(.)", r"\1", raw)
        elif kind == "ident" and raw.upper() in _KEYWORDS:
            kind, value = "kw", raw.upper()
        tokens.append(Token(kind, value, raw))
    return tokens


@dataclass
class Query:
    fields: list[str]
    sobject: str
    where: Predicate | None = None
    order_by: list[tuple[str, bool, bool]] = field(default_factory=list)  # field, descending, nulls_last
    limit: int | None = None
    where_fields: list[str] = field(default_factory=list)


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(left, SalesforceId) and isinstance(right, str) and op in ("=", "!=", "<>"):
        return _same_id(left, right) == (op == "=")
    if right is None or left is None:
        if op == "=":
            return left is None and right is None
        if op in ("!=", "<>"):
            return (left is None) != (right is None)
        return False
    a, b = _normalise(left), _normalise(right)
    if isinstance(a, dt.datetime) and isinstance(b, dt.date) and not isinstance(b, dt.datetime):
        a = a.date()
    if isinstance(a, str) and not isinstance(b, str):
        try:
            b = _normalise(str(b))
        except InvalidOperation:
            return False
    try:
        if op == "=":
            return bool(a == b)
        if op in ("!=", "<>"):
            return bool(a != b)
        if op == "<":
            return bool(a < b)
        if op == "<=":
            return bool(a <= b)
        if op == ">":
            return bool(a > b)
        if op == ">=":
            return bool(a >= b)
    except TypeError as exc:
        raise SoqlError(f"cannot compare {left!r} {op} {right!r}") from exc
    raise SoqlError(f"unknown operator {op}")


def _like(pattern: str) -> re.Pattern[str]:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL)


class _Parser:
    def __init__(self, tokens: list[Token], getter: Getter) -> None:
        self.tokens = tokens
        self.pos = 0
        self.get = getter
        self.where_fields: list[str] = []

    def peek(self, offset: int = 0) -> Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise SoqlError("unexpected end of query")
        self.pos += 1
        return token

    def is_kw(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "kw" and token.value in words

    def expect_kw(self, word: str) -> None:
        token = self.next()
        if token.kind != "kw" or token.value != word:
            raise SoqlError(f"expected {word}, found {token.text!r}")

    def expect_punct(self, char: str) -> None:
        token = self.next()
        if token.kind != "punct" or token.value != char:
            raise SoqlError(f"expected {char!r}, found {token.text!r}")

    def ident(self) -> str:
        token = self.next()
        if token.kind != "ident":
            raise SoqlError(f"expected a field name, found {token.text!r}")
        return str(token.value)

    def query(self) -> Query:
        self.expect_kw("SELECT")
        fields = [self.ident()]
        while (ahead := self.peek()) is not None and ahead.kind == "punct" and ahead.value == ",":
            self.next()
            fields.append(self.ident())
        self.expect_kw("FROM")
        query = Query(fields=fields, sobject=self.ident())
        if self.is_kw("WHERE"):
            self.next()
            query.where = self.expr()
        if self.is_kw("ORDER"):
            self.next()
            self.expect_kw("BY")
            while True:
                name = self.ident()
                descending = False
                if self.is_kw("ASC", "DESC"):
                    descending = self.next().value == "DESC"
                nulls_last = descending
                if self.is_kw("NULLS"):
                    self.next()
                    nulls_last = self.next().value == "LAST"
                query.order_by.append((name, descending, nulls_last))
                token = self.peek()
                if token is not None and token.kind == "punct" and token.value == ",":
                    self.next()
                    continue
                break
        if self.is_kw("LIMIT"):
            self.next()
            token = self.next()
            if token.kind != "number":
                raise SoqlError("LIMIT needs a number")
            query.limit = int(token.value)
        if (extra := self.peek()) is not None:
            raise SoqlError(f"unexpected {extra.text!r}")
        query.where_fields = self.where_fields
        return query

    def expr(self) -> Predicate:
        terms = [self.term()]
        while self.is_kw("OR"):
            self.next()
            terms.append(self.term())
        if len(terms) == 1:
            return terms[0]
        return lambda record: any(term(record) for term in terms)

    def term(self) -> Predicate:
        factors = [self.factor()]
        while self.is_kw("AND"):
            self.next()
            factors.append(self.factor())
        if len(factors) == 1:
            return factors[0]
        return lambda record: all(factor(record) for factor in factors)

    def factor(self) -> Predicate:
        if self.is_kw("NOT"):
            self.next()
            inner = self.factor()
            return lambda record: not inner(record)
        token = self.peek()
        if token is not None and token.kind == "punct" and token.value == "(":
            self.next()
            inner = self.expr()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def value(self) -> Any:
        token = self.next()
        if token.kind in ("string", "number", "date", "datetime"):
            return token.value
        if token.kind == "kw" and token.value in ("TRUE", "FALSE", "NULL"):
            return {"TRUE": True, "FALSE": False, "NULL": None}[token.value]
        raise SoqlError(f"expected a value, found {token.text!r}")

    def comparison(self) -> Predicate:
        name = self.ident()
        self.where_fields.append(name)
        get = self.get
        negate = False
        if self.is_kw("NOT"):
            self.next()
            negate = True
            if not self.is_kw("IN"):
                raise SoqlError("NOT must be followed by IN here")
        if self.is_kw("IN"):
            self.next()
            self.expect_punct("(")
            values = [self.value()]
            while True:
                token = self.next()
                if token.kind == "punct" and token.value == ")":
                    break
                if token.kind != "punct" or token.value != ",":
                    raise SoqlError(f"expected ',' or ')', found {token.text!r}")
                values.append(self.value())
            return _in_matcher(get, name, values, negate)
        if self.is_kw("LIKE"):
            self.next()
            pattern = self.value()
            if not isinstance(pattern, str):
                raise SoqlError("LIKE needs a string")
            regex = _like(pattern)
            return lambda record: bool(regex.match(str(get(record, name) or "")))
        token = self.next()
        if token.kind != "op":
            raise SoqlError(f"expected an operator after {name}, found {token.text!r}")
        op = str(token.value)
        right = self.value()
        return lambda record: _compare(get(record, name), op, right)


def _in_matcher(get: Getter, name: str, values: list[Any], negate: bool) -> Callable[[dict[str, Any]], bool]:
    """`name IN (values)`: an id field is looked up in sets (a pre-push read of 200 ids over
    20,000 records stays cheap); any other field is compared value by value."""
    exact = {v for v in values if isinstance(v, str)}
    short = {v for v in exact if len(v) == 15}  # a 15-character literal names an 18-character id
    long_keys = {v[:15] for v in exact if len(v) == 18}

    def matches(record: dict[str, Any]) -> bool:
        left = get(record, name)
        if isinstance(left, SalesforceId):
            found = (
                left in exact
                or (len(left) == 18 and left[:15] in short)
                or (len(left) == 15 and str(left) in long_keys)
            )
            return found != negate
        return any(_compare(left, "=", v) for v in values) != negate

    return matches


def parse(soql: str, getter: Getter) -> Query:
    """Parse a query; `getter(record, "Account.Name")` reads a (relationship) field of a record."""
    return _Parser(tokenize(soql), getter).query()

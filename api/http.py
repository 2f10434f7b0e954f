"""HTTP pieces every endpoint shares: ETags from versions, If-Match, and page links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from api.problems import Problem

T = TypeVar("T")

MAX_PAGE_SIZE = 200


def etag(version: int) -> str:
    return f'"{version}"'


def with_etag(response: HttpResponse, version: int) -> HttpResponse:
    response["ETag"] = etag(version)
    return response


def if_match_version(request: HttpRequest) -> int:
    """The version the client saw, from If-Match: 428 when missing, 412 when not one of ours
    (a weak tag W/"7" is taken as "7"; "*" is refused: an update must name what it saw)."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise Problem(
            428,
            "Send If-Match with the ETag of the representation you are changing (read it first with GET).",
        )
    value = raw.removeprefix("W/").strip().strip('"')
    if not value.isdigit() or len(value) > 12:
        raise Problem(412, "If-Match does not name a version of this resource.")
    return int(value)


def stale(current: Any, version: int) -> Problem:
    """412 with the resource as it is now and its ETag."""
    return Problem(
        412,
        "The resource changed since you read it; nothing was saved. The current representation is "
        "in 'current' and its ETag in the ETag header.",
        headers={"ETag": etag(version)},
        current=current,
    )


def page_of(
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[Any],
    *,
    page: int,
    page_size: int,
    serialize: Callable[[Any], T],
) -> dict[str, Any]:
    """One page of `rows` with the total and the links to the next and previous pages (count and
    slice: two queries for a queryset, whatever the page)."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    start = (page - 1) * page_size
    items = [serialize(row) for row in rows[start : start + page_size]]
    if start >= count and page > 1:
        raise Problem(404, f"There is no page {page}; the last page is {max(1, -(-count // page_size))}.")

    def link(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        query["page_size"] = str(page_size)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "next": link(page + 1) if start + page_size < count else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": items,
    }

"""The dashboard's forecast sections rendered once and kept as HTML under a key made from the keys
their figures are cached under, so every leader opening the same week (or the live view within one
data version) is served the same rendered sections without rendering them again.

The sections hold nothing that depends on the viewer: they are rendered without the request (no
context processors, no user, no CSRF token), from the figures, the trend, the changes and the
quarter and week alone. When the figures are not cached (the live view with live caching off) the
sections are rendered every time. The key also holds a digest of the templates and template tags,
so a deploy that changes how they look never serves HTML rendered by the older code.

The sections around them (the week's forecast calls and, on the live view, where SOWs, approvals and
deal hygiene stand today) are viewer-independent too and are kept for one data version
(forecasting.live_cache): any write to what they read renders them again."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from forecasting import hygiene, live_cache, mismatches, week_cache

SECTIONS = {
    "headline": "forecasting/_dashboard_headline.html",
    "sections": "forecasting/_dashboard_sections.html",
}


@functools.cache
def code_version() -> str:
    """A digest of every template and template-tag module (computed once per process)."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    files = sorted(
        [*(base / "templates").rglob("*.html"), *base.glob("*/templatetags/*.py"), base / "core/money.py"]
    )
    for path in files:
        digest.update(str(path.relative_to(base)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _key(context: dict[str, Any]) -> str | None:
    board = context["board"]
    changes = context["changes"]
    if board.cache_key is None or (changes is not None and changes.cache_key is None):
        return None
    week = context["week"]
    return week_cache.cache_key(
        "html",
        code_version(),
        board.cache_key,
        changes.cache_key if changes is not None else context["changes_note"],
        repr(context["trend"]),
        context["quarter"].label,
        week.isoformat() if week else "live",
        context["previous_week"].isoformat() if context["previous_week"] else None,
        timezone.get_current_timezone_name(),
    )


def _around_key(context: dict[str, Any]) -> str | None:
    week = context["week"]
    return live_cache.key_for(
        "html-around",
        (
            code_version(),
            context["board"].cache_key,
            context["quarter"].label,
            week.isoformat() if week else "live",
            timezone.localdate().isoformat(),  # the live calls' week and the waiting times move on
            timezone.get_current_timezone_name(),
        ),
    )


def _render_around(context: dict[str, Any]) -> dict[str, str]:
    html: dict[str, str] = {"calls": render_to_string("calls/_dashboard_calls.html", context)}
    if not context["week"]:  # today's state, shown on the live view only
        today = {
            **context,
            "sow_mismatches": mismatches.flag_counts(),
            "hygiene": hygiene.dashboard_summary(),
            "hygiene_stale_days": hygiene.stale_days(),
        }
        html["today"] = render_to_string("forecasting/_dashboard_today.html", today)
    return html


def render_sections(context: dict[str, Any]) -> dict[str, SafeString]:
    """The headline figures and the forecast sections (trend, closing, by region, by EM, changes,
    past due), the calls and, live, today's SOW, approval and hygiene sections as HTML: from the
    cache when the same figures (and, around them, the same data version) were rendered before."""
    key = _key(context)
    if key is not None:
        stored: dict[str, str] | None = cache.get(key)
    else:
        stored = None
    if stored is None:
        stored = {name: render_to_string(template, context) for name, template in SECTIONS.items()}
        if key is not None:
            seconds = live_cache.timeout() if context["week"] is None else week_cache.TIMEOUT_SECONDS
            cache.set(key, stored, seconds)
    around = live_cache.cached("html-around", (), lambda: _render_around(context), key=_around_key(context))
    return {name: mark_safe(value) for name, value in {**stored, **around}.items()}  # noqa: S308 (rendered here)

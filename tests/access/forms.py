"""What a browser would submit: the fields of a page's form, read from its HTML, and the database's state,
so a test can forge a complete, valid POST as another user and check that a refusal changed nothing."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.apps import apps
from django.db import connection

# Rows that a request writes whatever it does (the session, login bookkeeping), not app data.
_VOLATILE_TABLES = {
    "django_session",
    "axes_accessattempt",
    "axes_accesslog",
    "axes_accessfailurelog",
    "auth_user",  # last_login moves on every login: the other columns are read below
}
_USER_COLUMNS = "id, username, password, email, first_name, last_name, is_superuser, is_staff, is_active"


class _FormParser(HTMLParser):
    def __init__(self, form_id: str | None, action: str | None, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.action = action
        self.page = page
        self.in_form = False
        self.found = False
        self._clicked = False
        self.data: list[tuple[str, str]] = []
        self._select: str | None = None
        self._select_values: list[str] = []
        self._select_first: str | None = None
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            target = urlsplit(urljoin(self.page, a.get("action") or self.page)).path
            if self.form_id:
                wanted = a.get("id") == self.form_id
            elif self.action:
                wanted = target == self.action
            else:
                wanted = "logout" not in target
            if not self.found and wanted and (a.get("method") or "get").lower() == "post":
                self.in_form = self.found = True
            return
        if not self.in_form:
            return
        name = a.get("name")
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        if tag in ("input", "button") and kind == "submit":
            # The browser sends the clicked button: here the form's first named one.
            if name and not self._clicked:
                self._clicked = True
                self.data.append((name, a.get("value", "")))
            return
        if tag == "input" and name and "disabled" not in a:
            if kind in ("button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data.append((name, a.get("value", "on")))
                return
            self.data.append((name, a.get("value", "")))
        elif tag == "select" and name and "disabled" not in a:
            self._select, self._select_values, self._select_first = name, [], None
            self._select_multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value")
            self._option_selected = "selected" in a
            self._option_text = ""
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea, self._textarea_text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text += data
        elif self._option_value is None and self._select is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "option" and self._select is not None:
            value = self._option_value if self._option_value is not None else self._option_text.strip()
            if self._select_first is None:
                self._select_first = value
            if self._option_selected:
                self._select_values.append(value)
            self._option_value = None
        elif tag == "select" and self._select is not None:
            values = self._select_values
            if not values and not self._select_multiple and self._select_first is not None:
                values = [self._select_first]
            self.data += [(self._select, v) for v in values]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data.append((self._textarea, self._textarea_text.removeprefix("\n")))
            self._textarea = None


def form_fields(
    html: str, form_id: str | None = None, *, action: str | None = None, page: str = "/"
) -> dict[str, Any] | None:
    """The POST a browser would send from the page's form with `form_id`, or the one posting to the
    path `action` (`page` is the page's own path, for relative actions); without either, the first
    POST form that is not the header's log-out form. {name: value, or a list for repeated names};
    None when the page has no such form."""
    parser = _FormParser(form_id, action, page)
    parser.feed(html)
    if not parser.found:
        return None
    result: dict[str, Any] = {}
    for name, value in parser.data:
        if name in result:
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[name] = value
    return result


def database_state() -> dict[str, str]:
    """A digest of every app table's rows, to prove a refused request wrote nothing."""
    tables = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)} - _VOLATILE_TABLES)
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        parts = [
            f"SELECT '{table}', coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {quote(table)} t"
            for table in tables
        ]
        parts.append(
            f"SELECT 'auth_user', md5(string_agg(concat_ws(',', {_USER_COLUMNS}), '|' ORDER BY id)) FROM auth_user"
        )
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts))
            return dict(cursor.fetchall())
    state = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_USER_COLUMNS} FROM auth_user ORDER BY id")  # noqa: S608
        state["auth_user"] = hashlib.md5(repr(cursor.fetchall()).encode()).hexdigest()  # noqa: S324
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - table names from the models
            rows = sorted(repr(row) for row in cursor.fetchall())
            state[table] = hashlib.md5("|".join(rows).encode()).hexdigest()  # noqa: S324 - a digest, not security
    return state


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))

"""The audit page: who changed what and when, filterable; administrators export it as CSV."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config import audit as trail
from core import access
from core.csv import csv_response
from core.fields import SingleLineCharField
from core.types import HtmxHttpRequest

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})
    )
    user = SingleLineCharField(label="Who", required=False, max_length=150)
    q = SingleLineCharField(label="Record or note", required=False, max_length=200)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = trail.kind_choices()


@require_GET
def audit(request: HtmxHttpRequest) -> HttpResponse:
    access.can_read_audit_trail.require(request.user)
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    entries = trail.audit_entries(
        kinds=data.get("kind") or (),
        user=data.get("user", ""),
        since=data.get("since"),
        until=data.get("until"),
        search=data.get("q", ""),
    )
    if form.errors:
        entries = entries.none()
    if request.GET.get("format") == "csv":
        access.can_export_audit_trail.require(request.user)
        return csv_response("audit.csv", trail.csv_rows(entries))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "entry": entry,
            "who": trail.who(entry),
            "kind": trail.kind(entry),
            "changes": trail.changes_in_words(entry),
        }
        for entry in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "active_nav": "audit",
            "query": query.urlencode(),
            "can_export": access.can_export_audit_trail(request.user),
        },
    )

"""The audit view for administrators: who changed what, when, filterable and exportable."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.audit import KINDS, audit_entries
from core.csv import csv_response
from core.types import HtmxHttpRequest


class AuditFilterForm(forms.Form):
    kind = forms.MultipleChoiceField(choices=KINDS, required=False, widget=forms.CheckboxSelectMultiple)
    user = forms.CharField(required=False, max_length=150)
    q = forms.CharField(label="Object", required=False, max_length=200)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


@require_GET
def audit(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("The audit trail is for administrators.")
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    csv_export = request.GET.get("format") == "csv"
    entries = (
        audit_entries(
            kinds=data.get("kind") or (),
            user=data.get("user", ""),
            since=data.get("since"),
            until=data.get("until"),
            search=data.get("q", ""),
            limit=5000 if csv_export else 200,
        )
        if not form.errors
        else []
    )
    if csv_export:
        header = ["When (UTC)", "Kind", "Who", "Action", "Object", "Changes"]
        rows = [[e.at.isoformat(), e.kind, e.user, e.action, e.object_label, e.changes] for e in entries]
        return csv_response("audit.csv", [header, *rows])
    return render(
        request,
        "audit.html",
        {"form": form, "entries": entries, "active_nav": "audit", "query": request.GET.urlencode()},
    )

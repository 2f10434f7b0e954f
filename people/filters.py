"""Directory filters: role, region, skill with a minimum level, language, active, and a search."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from core.roles import Role
from people import selectors
from people.models import Person, Region, Skill

ACTIVE_CHOICES = [("active", "Active"), ("inactive", "Inactive"), ("all", "Active and inactive")]
LEVEL_CHOICES = [(str(n), f"Level {n} or more") for n in range(1, 6)]


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_search", max_length=100)
    role = django_filters.ChoiceFilter(label="Role", choices=Role.choices, empty_label="Any role")
    region = django_filters.ModelChoiceFilter(
        label="Region", queryset=Region.objects.order_by("code"), empty_label="Any region"
    )
    skill = django_filters.ModelChoiceFilter(
        label="Skill", queryset=Skill.objects.order_by("name"), empty_label="Any skill", method="filter_skill"
    )
    min_level = django_filters.ChoiceFilter(
        label="Skill level", choices=LEVEL_CHOICES, empty_label="Any level", method="filter_noop"
    )
    language = django_filters.CharFilter(label="Language", method="filter_language", max_length=40)
    active = django_filters.ChoiceFilter(
        label="Status", choices=ACTIVE_CHOICES, empty_label=None, method="filter_active"
    )

    class Meta:
        model = Person
        fields: list[str] = []

    def __init__(self, data: Any = None, *args: Any, **kwargs: Any) -> None:
        data = data.copy() if data is not None else {}
        data.setdefault("active", "active")
        super().__init__(data, *args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            else:
                field.widget.attrs["class"] = "form-control form-control-sm"
        self.form.fields["q"].widget.input_type = "search"
        self.form.fields["q"].widget.attrs["placeholder"] = "Name or email"
        self.form.fields["language"].widget.attrs["placeholder"] = "e.g. German"

    def filter_search(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(email__icontains=value))

    def filter_skill(self, qs: QuerySet[Person], name: str, value: Skill | None) -> QuerySet[Person]:
        if value is None:
            return qs
        level = self.form.cleaned_data.get("min_level") or "1"
        return selectors.with_skill(qs, value, int(level))

    def filter_noop(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return qs  # applied together with the skill

    def filter_language(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return selectors.with_language(qs, value)

    def filter_active(self, qs: QuerySet[Person], name: str, value: str) -> QuerySet[Person]:
        return {"active": lambda: qs.filter(active=True), "inactive": lambda: qs.filter(active=False)}.get(
            value, lambda: qs
        )()

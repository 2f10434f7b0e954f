from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from core import list_flags
from core.fiscal import FiscalQuarter
from engagements.models import CONFIDENCE_RANK, Confidence, Opportunity
from people.models import Region


def quarter_choices() -> list[tuple[str, str]]:
    current = FiscalQuarter.current()
    choices = [
        ("current", f"This quarter ({current.label})"),
        ("next", f"Next quarter ({current.next().label})"),
    ]
    choices += [(q.label, q.label) for q in (current.shift(n) for n in range(-4, 5))]
    choices.append(("any", "Any quarter"))
    return choices


def resolve_quarter(value: str) -> FiscalQuarter | None:
    current = FiscalQuarter.current()
    if value in ("", "current"):
        return current
    if value == "next":
        return current.next()
    if value == "any":
        return None
    return FiscalQuarter.parse(value)


STATUS_CHOICES = [
    ("open", "Open"),
    ("closed", "Closed"),
    ("won", "Closed won"),
    ("lost", "Closed lost"),
    ("all", "Open and closed"),
]

# EM confidence from most to least likely to close in the quarter: Green, Amber, Red, Grey.
_TOP = max(CONFIDENCE_RANK.values())
LIKELIHOOD_ORDER = Case(
    *[When(em_confidence=value, then=Value(_TOP - rank)) for value, rank in CONFIDENCE_RANK.items()],
    default=Value(_TOP + 1),
    output_field=IntegerField(),
)


class PipelineOrdering(django_filters.OrderingFilter):
    """The columns the pipeline sorts by (`?sort=amount`, `?sort=-amount`), each with its tie-breakers;
    confidence sorts by rank (Green, Amber, Red, Grey), not by name. An unknown sort is ignored."""

    KEYS: dict[str, tuple[str, ...]] = {
        "close_date": ("close_date", "name"),
        "amount": ("amount", "name"),
        "name": ("name",),
        "account": ("account__name", "name"),
        "confidence": ("confidence_rank", "close_date"),
        "reviewed": ("em_reviewed_at", "name"),
        "stage": ("stage", "close_date"),
    }
    DEFAULT = "close_date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields=[(key, key) for key in self.KEYS], **kwargs)

    def filter(self, qs: QuerySet[Opportunity], value: list[str] | None) -> QuerySet[Opportunity]:
        ordering: list[str] = []
        for key in value or [self.DEFAULT]:
            descending, base = key.startswith("-"), key.lstrip("-")
            ordering += [f"-{name}" if descending else name for name in self.KEYS[base]]
        return qs.annotate(confidence_rank=LIKELIHOOD_ORDER).order_by(*ordering, "pk")


class PipelineFilter(django_filters.FilterSet):
    quarter = django_filters.ChoiceFilter(
        label="Fiscal quarter", method="filter_quarter", empty_label=None, choices=quarter_choices
    )
    status = django_filters.ChoiceFilter(
        label="Status", method="filter_status", empty_label=None, choices=STATUS_CHOICES
    )
    confidence = django_filters.MultipleChoiceFilter(
        label="Confidence",
        field_name="em_confidence",
        choices=Confidence.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    stage = django_filters.ChoiceFilter(label="Stage", field_name="stage", empty_label="Any stage")
    region = django_filters.ModelChoiceFilter(
        label="Region", queryset=Region.objects.all(), empty_label="Any region"
    )
    q = django_filters.CharFilter(label="Search", method="filter_search")
    stale = django_filters.BooleanFilter(
        label="Only stale calls", method="filter_stale", widget=forms.CheckboxInput
    )
    hygiene = django_filters.ChoiceFilter(
        label="Deal hygiene",
        method="filter_hygiene",
        empty_label="Any",
        choices=lambda: list_flags.choices("pipeline"),
    )
    sort = PipelineOrdering(widget=forms.HiddenInput)

    class Meta:
        model = Opportunity
        fields: list[str] = []

    def __init__(
        self,
        data: Any = None,
        *args: Any,
        stages: list[str] | None = None,
        regions: list[Region] | None = None,
        **kwargs: Any,
    ) -> None:
        """`regions`, when given, are the region choices already read (the same rows the field's
        queryset reads), so drawing the list does not read them again."""
        data = data.copy() if data is not None else {}
        data.setdefault("quarter", "current")
        data.setdefault("status", "open")
        if data.get("sort", "").lstrip("-") not in PipelineOrdering.KEYS:
            data["sort"] = PipelineOrdering.DEFAULT
        super().__init__(data, *args, **kwargs)
        self.filters["stage"].extra["choices"] = [(s, s) for s in (stages or [])]
        form = self.form
        if regions is not None:
            field = form.fields["region"]
            choices: list[tuple[Any, Any]] = [("", field.empty_label)]  # type: ignore[attr-defined]  # a ModelChoiceField
            choices += [(region.pk, field.label_from_instance(region)) for region in regions]  # type: ignore[attr-defined]  # a ModelChoiceField
            field.widget.choices = choices
        for name in ("quarter", "status", "stage", "region", "hygiene"):
            form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        form.fields["q"].widget.attrs.update(
            {"class": "form-control form-control-sm", "placeholder": "Search"}
        )
        form.fields["q"].widget.input_type = "search"
        form.fields["stale"].widget.attrs["class"] = "form-check-input"
        form.fields["confidence"].widget.attrs["class"] = "form-check-input"

    def filter_quarter(self, qs: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        quarter = resolve_quarter(value)
        if quarter is None:
            return qs
        return qs.filter(close_date__range=(quarter.start, quarter.end))

    def filter_status(self, qs: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        return {
            "open": lambda: qs.filter(is_closed=False),
            "closed": lambda: qs.filter(is_closed=True),
            "won": lambda: qs.filter(is_closed=True, is_won=True),
            "lost": lambda: qs.filter(is_closed=True, is_won=False),
        }.get(value, lambda: qs)()

    def filter_search(self, qs: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(account__name__icontains=value))

    def filter_hygiene(self, qs: QuerySet[Opportunity], name: str, value: str) -> QuerySet[Opportunity]:
        # The flags are annotated by selectors.pipeline_queryset (core.list_flags).
        return list_flags.filter("pipeline", qs, value) if value else qs

    def filter_stale(self, qs: QuerySet[Opportunity], name: str, value: bool) -> QuerySet[Opportunity]:
        # is_stale is annotated by selectors.annotate_badges on the base queryset.
        return qs.filter(is_stale=True) if value else qs  # type: ignore[misc]  # an annotation, unseen by the plugin

    # The values a filter has when nobody touched it: anything else counts as an active filter.
    DEFAULTS: dict[str, str] = {"quarter": "current", "status": "open"}

    @property
    def active_count(self) -> int:
        """How many filters narrow the list beyond the defaults (the button on a phone says it)."""
        data = self.data or {}
        count = 0
        for name in ("quarter", "status", "stage", "region", "q", "stale", "confidence", "hygiene"):
            if name == "confidence" and hasattr(data, "getlist"):
                values = [v for v in data.getlist(name) if v]
            else:
                value = data.get(name)
                values = [value] if value not in (None, "", [], "false", "False", "unknown") else []
            if name in self.DEFAULTS:
                values = [v for v in values if v != self.DEFAULTS[name]]
            count += 1 if values else 0
        return count

    @property
    def sort_in_force(self) -> str:
        """The sort in force, as the column links show it (e.g. "-amount")."""
        return str((self.data or {}).get("sort") or PipelineOrdering.DEFAULT)

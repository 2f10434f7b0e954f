"""Parsing for the directory edit page; the rules are people.services.person_update's."""

from __future__ import annotations

from typing import Any

from django import forms

from core.fields import DecimalNumberField, SingleLineCharField
from core.roles import Role
from people.models import Person, Region, Skill

SKILL_LEVEL_CHOICES = [("", "—"), *[(str(n), str(n)) for n in range(1, 6)]]


class PersonForm(forms.Form):
    name = SingleLineCharField(max_length=200)
    role = forms.ChoiceField(choices=Role.choices)
    region = forms.ModelChoiceField(queryset=Region.objects.order_by("code"), required=False)
    manager = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    languages = SingleLineCharField(
        required=False, max_length=500, help_text="Comma-separated, e.g. English, German."
    )
    time_zone = SingleLineCharField(
        label="Time zone",
        max_length=64,
        help_text="IANA name, e.g. Europe/London or America/New_York.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    weekly_capacity_hours = DecimalNumberField(
        label="Weekly capacity (hours)", max_digits=8, decimal_places=4, help_text="0 to 80."
    )
    utilization_target = DecimalNumberField(
        label="Utilization target (%)", max_digits=8, decimal_places=4, help_text="0 to 100; default 70."
    )
    active = forms.BooleanField(required=False)
    # Carries the service's errors about skill levels to the skills section (no input of its own).
    skills = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, person: Person, skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.fields["manager"]
        assert isinstance(manager, forms.ModelChoiceField)
        manager.queryset = Person.objects.filter(active=True).exclude(pk=person.pk).order_by("name")
        if person.manager_id is not None:
            manager.queryset = manager.queryset | Person.objects.filter(pk=person.manager_id)
        self.skill_fields: list[tuple[Skill, str]] = []
        for skill in skills:
            key = f"skill_{skill.pk}"
            self.fields[key] = forms.ChoiceField(
                label=skill.name, choices=SKILL_LEVEL_CHOICES, required=False
            )
            self.skill_fields.append((skill, key))

    @property
    def skill_inputs(self) -> list[forms.BoundField]:
        return [self[key] for _, key in self.skill_fields]

    def skill_levels(self) -> dict[int, int]:
        return {
            skill.pk: int(self.cleaned_data[key])
            for skill, key in self.skill_fields
            if self.cleaned_data[key]
        }

    @staticmethod
    def initial_for(person: Person) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": person.name,
            "role": person.role,
            "region": person.region_id,
            "manager": person.manager_id,
            "languages": ", ".join(person.languages or []),
            "time_zone": person.time_zone,
            "weekly_capacity_hours": person.weekly_capacity_hours,
            "utilization_target": person.utilization_target,
            "active": person.active,
            "version": person.version,
        }
        for level in person.skill_levels.all():
            initial[f"skill_{level.skill_id}"] = str(level.level)
        return initial

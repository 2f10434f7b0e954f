from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from core.roles import Role
from people.models import Person, PersonSkill, Region, Skill


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R{n}")
    name = factory.LazyAttribute(lambda o: f"Region {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-123")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    role = Role.ENGAGEMENT_MANAGER
    region = factory.SubFactory(RegionFactory)
    time_zone = "Europe/London"


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n}")
    category = "Delivery"


class PersonSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonSkill

    person = factory.SubFactory(PersonFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


def delivery_person(
    name: str,
    *,
    skills: dict[str, int] | None = None,
    languages: list[str] | None = None,
    time_zone: str = "Europe/London",
    capacity: str = "40",
    role: str = Role.PS_ENGINEER,
    **kwargs,
) -> Person:
    """A delivery person (no login) with skills given as {"Kubernetes": 4}."""
    person = PersonFactory(
        name=name,
        role=role,
        languages=languages if languages is not None else ["English"],
        time_zone=time_zone,
        weekly_capacity_hours=Decimal(capacity),
        **kwargs,
    )
    for skill_name, level in (skills or {}).items():
        PersonSkillFactory(person=person, skill=SkillFactory(name=skill_name), level=level)
    return person

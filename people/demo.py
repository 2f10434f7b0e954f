"""Demo people and logins for `manage.py seed_demo`. Never used with production settings."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model

from core.roles import Role
from people.models import Person, PersonSkill, Region, Skill
from people.services import person_sync_login_groups

DEMO_PASSWORD = "pipeline-demo"

REGIONS = [
    ("AMER", "Americas", "America/New_York"),
    ("EMEA", "Europe, Middle East & Africa", "Europe/London"),
    ("APAC", "Asia Pacific", "Australia/Sydney"),
    ("PubSec", "Public Sector", "America/Chicago"),
]

# Average bill rate an hour in the corporate currency, for the demand of deals without an estimate.
BLENDED_BILL_RATES = {
    "AMER": Decimal("225"),
    "EMEA": Decimal("210"),
    "APAC": Decimal("190"),
    "PubSec": Decimal("200"),
}

SKILLS = [
    ("Kubernetes", "Platform"),
    ("CI/CD", "DevOps"),
    ("GitOps", "DevOps"),
    ("Terraform", "Infrastructure"),
    ("AWS", "Cloud"),
    ("Azure", "Cloud"),
    ("Google Cloud", "Cloud"),
    ("Security", "Security"),
    ("Migration", "Delivery"),
    ("Training delivery", "Enablement"),
    ("Project management", "Delivery"),
    ("Python", "Development"),
    ("Java", "Development"),
]

# username, name, role, region code, manager username, languages, time zone, cost rate
PEOPLE: list[tuple[str, str, str, str | None, str | None, list[str], str, str]] = [
    ("director", "Dana Whitfield", Role.PS_DIRECTOR, None, None, ["English"], "America/New_York", "150"),
    (
        "leadership",
        "Victor Alvarez",
        Role.LEADERSHIP,
        None,
        None,
        ["English", "Spanish"],
        "America/Los_Angeles",
        "180",
    ),
    ("emm.amer", "Morgan Chen", Role.EM_MANAGER, "AMER", "director", ["English"], "America/New_York", "120"),
    (
        "emm.emea",
        "Ingrid Larsen",
        Role.EM_MANAGER,
        "EMEA",
        "director",
        ["English", "Norwegian"],
        "Europe/Oslo",
        "120",
    ),
    (
        "emm.apac",
        "Kenji Watanabe",
        Role.EM_MANAGER,
        "APAC",
        "director",
        ["English", "Japanese"],
        "Asia/Tokyo",
        "120",
    ),
    (
        "emm.pubsec",
        "Grace Holloway",
        Role.EM_MANAGER,
        "PubSec",
        "director",
        ["English"],
        "America/Chicago",
        "120",
    ),
    (
        "em.amer",
        "Alex Rivera",
        Role.ENGAGEMENT_MANAGER,
        "AMER",
        "emm.amer",
        ["English", "Spanish"],
        "America/New_York",
        "95",
    ),
    (
        "em.amer2",
        "Jordan Brooks",
        Role.ENGAGEMENT_MANAGER,
        "AMER",
        "emm.amer",
        ["English"],
        "America/Denver",
        "95",
    ),
    (
        "em.emea",
        "Sophie Martin",
        Role.ENGAGEMENT_MANAGER,
        "EMEA",
        "emm.emea",
        ["English", "French"],
        "Europe/Paris",
        "95",
    ),
    (
        "em.emea2",
        "Lukas Weber",
        Role.ENGAGEMENT_MANAGER,
        "EMEA",
        "emm.emea",
        ["English", "German"],
        "Europe/Berlin",
        "95",
    ),
    (
        "em.apac",
        "Priya Nair",
        Role.ENGAGEMENT_MANAGER,
        "APAC",
        "emm.apac",
        ["English", "Hindi"],
        "Asia/Singapore",
        "90",
    ),
    (
        "em.apac2",
        "Liam O'Connor",
        Role.ENGAGEMENT_MANAGER,
        "APAC",
        "emm.apac",
        ["English"],
        "Australia/Sydney",
        "90",
    ),
    (
        "em.pubsec",
        "Marcus Bell",
        Role.ENGAGEMENT_MANAGER,
        "PubSec",
        "emm.pubsec",
        ["English"],
        "America/New_York",
        "95",
    ),
    (
        "practice",
        "Hannah Okafor",
        Role.PRACTICE_MANAGER,
        "AMER",
        "director",
        ["English"],
        "America/Chicago",
        "110",
    ),
    (
        "ta",
        "Ravi Shankar",
        Role.TECHNICAL_ARCHITECT,
        "EMEA",
        "director",
        ["English", "Hindi"],
        "Europe/London",
        "115",
    ),
    (
        "psops",
        "Elena Petrova",
        Role.PS_OPERATIONS,
        "EMEA",
        "director",
        ["English", "Russian"],
        "Europe/Amsterdam",
        "85",
    ),
]

# Delivery people without a login (staffed on engagements).
DELIVERY: list[tuple[str, str, str, str, list[str], str, str, list[tuple[str, int]]]] = [
    (
        "Sam Taylor",
        "sam.taylor",
        Role.PS_ENGINEER,
        "AMER",
        ["English"],
        "America/New_York",
        "75",
        [("Kubernetes", 4), ("CI/CD", 5), ("AWS", 3)],
    ),
    (
        "Maria Garcia",
        "maria.garcia",
        Role.PS_ENGINEER,
        "AMER",
        ["English", "Spanish"],
        "America/Mexico_City",
        "70",
        [("CI/CD", 4), ("GitOps", 3), ("Python", 4)],
    ),
    (
        "Tom Becker",
        "tom.becker",
        Role.PS_ENGINEER,
        "EMEA",
        ["English", "German"],
        "Europe/Berlin",
        "78",
        [("Terraform", 5), ("Azure", 4), ("Kubernetes", 3)],
    ),
    (
        "Amelie Dubois",
        "amelie.dubois",
        Role.PS_ENGINEER,
        "EMEA",
        ["English", "French"],
        "Europe/Paris",
        "76",
        [("Migration", 5), ("CI/CD", 3), ("Java", 4)],
    ),
    (
        "Wei Zhang",
        "wei.zhang",
        Role.PS_ENGINEER,
        "APAC",
        ["English", "Mandarin"],
        "Asia/Singapore",
        "65",
        [("Kubernetes", 5), ("Google Cloud", 4), ("Security", 3)],
    ),
    (
        "Chloe Smith",
        "chloe.smith",
        Role.PROJECT_MANAGER,
        "APAC",
        ["English"],
        "Australia/Sydney",
        "72",
        [("Project management", 5)],
    ),
    (
        "Owen Parker",
        "owen.parker",
        Role.PROJECT_MANAGER,
        "AMER",
        ["English"],
        "America/Chicago",
        "74",
        [("Project management", 4), ("Training delivery", 3)],
    ),
    (
        "Nadia Haddad",
        "nadia.haddad",
        Role.PARTNER_CONSULTANT,
        "EMEA",
        ["English", "Arabic", "French"],
        "Asia/Dubai",
        "60",
        [("Security", 4), ("Migration", 3)],
    ),
]


def seed() -> dict[str, Person]:
    """Create regions, skills, people and demo logins; existing rows are left as they are."""
    regions = {}
    for code, name, _tz in REGIONS:
        regions[code], _ = Region.objects.get_or_create(
            code=code, defaults={"name": name, "blended_bill_rate": BLENDED_BILL_RATES[code]}
        )
    skills = {}
    for name, category in SKILLS:
        skills[name], _ = Skill.objects.get_or_create(name=name, defaults={"category": category})

    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={
            "is_staff": True,
            "is_superuser": True,
            "email": "admin@example.com",
            "first_name": "Ada",
            "last_name": "Admin",
        },
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()

    by_username: dict[str, Person] = {}
    for username, name, role, region_code, manager_username, languages, tz, rate in PEOPLE:
        first, _, last = name.partition(" ")
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        person, _ = Person.objects.get_or_create(
            email=f"{username}@example.com",
            defaults={
                "user": user,
                "name": name,
                "role": role,
                "region": regions[region_code] if region_code else None,
                "manager": by_username.get(manager_username or ""),
                "languages": languages,
                "time_zone": tz,
                "cost_rate": Decimal(rate),
                "salesforce_user_id": f"005DM{len(by_username):013d}",
            },
        )
        person_sync_login_groups(person=person)
        by_username[username] = person

    for name, handle, role, region_code, languages, tz, rate, levels in DELIVERY:
        person, created = Person.objects.get_or_create(
            email=f"{handle}@example.com",
            defaults={
                "name": name,
                "role": role,
                "region": regions[region_code],
                "languages": languages,
                "time_zone": tz,
                "cost_rate": Decimal(rate),
            },
        )
        if created:
            PersonSkill.objects.bulk_create(
                [PersonSkill(person=person, skill=skills[s], level=lvl) for s, lvl in levels]
            )
    return by_username


def demo_logins() -> list[tuple[str, str]]:
    rows = [("admin", "Administrator (superuser)")]
    rows += [
        (username, f"{Role(role).label}" + (f", {region}" if region else ""))
        for username, _n, role, region, *_ in PEOPLE
    ]
    return rows

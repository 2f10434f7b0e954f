"""Each rate-card role names the people role that delivers it, so capacity no longer maps role names
by hand. Existing rows get the role the name mapping used to give them; a name it did not know is
left blank, shown by the capacity page as demand without a person role until someone sets it."""

from django.db import migrations, models

# The name mapping capacity used before rate-card roles carried their key (names compared in lower case).
PERSON_ROLE_BY_NAME = {
    "engineer": "ps_engineer",
    "senior engineer": "ps_engineer",
    "trainer": "ps_engineer",
    "technical architect": "technical_architect",
    "project manager": "project_manager",
    "partner consultant": "partner_consultant",
}

CHOICES = [
    ("ps_engineer", "PS Engineer"),
    ("technical_architect", "Technical Architect"),
    ("project_manager", "Project Manager"),
    ("partner_consultant", "Partner Consultant"),
]


def fill_person_roles(apps, schema_editor):
    for model_name in ("DeliveryRole", "HistoricalDeliveryRole"):
        model = apps.get_model("scoping", model_name)
        for name in model.objects.values_list("name", flat=True).distinct():
            person_role = PERSON_ROLE_BY_NAME.get(name.strip().lower())
            if person_role:
                model.objects.filter(name=name).update(person_role=person_role)


class Migration(migrations.Migration):
    dependencies = [
        ("scoping", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveryrole",
            name="person_role",
            field=models.CharField(
                choices=CHOICES,
                default="",
                help_text="The people who deliver this role's hours: capacity counts its demand against them.",
                max_length=30,
                verbose_name="delivered by",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicaldeliveryrole",
            name="person_role",
            field=models.CharField(
                choices=CHOICES,
                default="",
                help_text="The people who deliver this role's hours: capacity counts its demand against them.",
                max_length=30,
                verbose_name="delivered by",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_person_roles, migrations.RunPython.noop),
    ]

import secrets

from django.db import migrations, models

import sow.models

FILE_FIELDS = [("SowDocument", "file", "sow/pdf"), ("SowVersion", "signed_copy", "sow/signed")]


def rename_stored_files(apps, schema_editor):
    """Files stored under names made from the SOW reference move to random names."""
    from django.core.files.storage import default_storage

    for model_name, field, folder in FILE_FIELDS:
        model = apps.get_model("sow", model_name)
        for row in model.objects.exclude(**{field: ""}).only("pk", field).iterator():
            old = getattr(row, field).name
            if not default_storage.exists(old):
                continue
            with default_storage.open(old, "rb") as handle:
                new = default_storage.save(f"{folder}/{secrets.token_urlsafe(24)}.pdf", handle)
            model.objects.filter(pk=row.pk).update(**{field: new})
            default_storage.delete(old)


class Migration(migrations.Migration):
    dependencies = [
        ("sow", "0002_staffing"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sowdocument",
            name="file",
            field=models.FileField(blank=True, upload_to=sow.models.document_path),
        ),
        migrations.AlterField(
            model_name="sowversion",
            name="signed_copy",
            field=models.FileField(blank=True, upload_to=sow.models.signed_copy_path),
        ),
        migrations.RunPython(rename_stored_files, migrations.RunPython.noop, elidable=True),
    ]

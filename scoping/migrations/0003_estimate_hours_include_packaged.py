from decimal import Decimal

from django.db import migrations
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def recount_hours(apps, schema_editor):
    """An estimate's hours are its activity hours plus its packaged SKUs' included hours."""
    Estimate = apps.get_model("scoping", "Estimate")
    EstimateLine = apps.get_model("scoping", "EstimateLine")
    hours = (
        EstimateLine.objects.filter(estimate=OuterRef("pk"), kind__in=["activity", "sku"])
        .order_by()
        .values("estimate")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    Estimate.objects.update(total_hours=Coalesce(Subquery(hours), Value(Decimal("0"))))


class Migration(migrations.Migration):
    dependencies = [("scoping", "0002_deliveryrole_person_role")]

    operations = [migrations.RunPython(recount_hours, migrations.RunPython.noop)]

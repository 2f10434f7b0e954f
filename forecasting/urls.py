from django.urls import path

from forecasting import hygiene_views, mismatch_views, pacing_views, views

app_name = "forecasting"

urlpatterns = [
    path("forecast/", views.dashboard, name="dashboard"),
    path("forecast/opportunities/", views.drill, name="drill"),
    path("forecast/export/<slug:table>.csv", views.export, name="export"),
    path("forecast/sow-mismatches/", mismatch_views.sow_mismatches, name="sow_mismatches"),
    path("forecast/calibration/", views.calibration, name="calibration"),
    path("forecast/hygiene/", hygiene_views.deal_hygiene, name="hygiene"),
    path("forecast/pacing/", pacing_views.pacing, name="pacing"),
    path("capacity/", views.capacity, name="capacity"),
]

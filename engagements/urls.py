from django.urls import path

from engagements import views

app_name = "engagements"

urlpatterns = [
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/workload/", views.workload, name="workload"),
    path("pipeline/export/", views.pipeline_export, name="pipeline_export"),
    path("pipeline/bulk/", views.pipeline_bulk, name="pipeline_bulk"),
    path("pipeline/columns/", views.pipeline_columns, name="pipeline_columns"),
    path("pipeline/filters/", views.saved_filter_save, name="saved_filter_save"),
    path("pipeline/filters/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("opportunities/<int:pk>/", views.detail, name="detail"),
    path("opportunities/<int:pk>/em-fields/", views.em_fields, name="em_fields"),
    path("opportunities/<int:pk>/confirm/", views.confirm_unchanged, name="confirm"),
    path("opportunities/<int:pk>/assign/", views.assign_em, name="assign"),
    path("opportunities/<int:pk>/risks/", views.risk_add, name="risk_add"),
    path("risks/<int:pk>/edit/", views.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/close/", views.risk_close, name="risk_close"),
]

from django.urls import path

from engagements import views

app_name = "engagements"

urlpatterns = [
    path("pipeline/", views.pipeline, name="pipeline"),
    path("pipeline/workload/", views.workload, name="workload"),
    path("opportunities/<int:pk>/", views.detail, name="detail"),
    path("opportunities/<int:pk>/em-fields/", views.em_fields, name="em_fields"),
    path("opportunities/<int:pk>/confirm/", views.confirm_unchanged, name="confirm"),
    path("opportunities/<int:pk>/assign/", views.assign_em, name="assign"),
    path("opportunities/<int:pk>/risks/", views.risk_add, name="risk_add"),
    path("risks/<int:pk>/edit/", views.risk_edit, name="risk_edit"),
    path("risks/<int:pk>/close/", views.risk_close, name="risk_close"),
]

from django.urls import path

from sow import views

app_name = "sow"

urlpatterns = [
    path("sows/", views.sow_list, name="list"),
    path("scoping/<int:issue_pk>/sow/new/", views.sow_create, name="create"),
    path("sows/<int:pk>/", views.sow_detail, name="detail"),
    path("sows/versions/<int:pk>/", views.version_detail, name="version"),
    path("sows/versions/<int:pk>/edit/", views.version_edit, name="edit"),
    path("sows/versions/<int:pk>/costs/", views.cost_add, name="cost_add"),
    path("sows/versions/<int:pk>/costs/<int:line_pk>/", views.cost_update, name="cost_update"),
    path("sows/versions/<int:pk>/pdf/", views.pdf_request, name="request_pdf"),
    path("sows/versions/<int:pk>/pdf/<str:kind>.pdf", views.download_pdf, name="download_pdf"),
    path("sows/versions/<int:pk>/signed.pdf", views.download_signed, name="download_signed"),
    path("sows/versions/<int:pk>/diff/", views.version_diff, name="diff"),
    path("sows/versions/<int:pk>/<str:action>/", views.version_transition, name="transition"),
]

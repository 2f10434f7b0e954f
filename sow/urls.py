from django.urls import path

from sow import approval_views, change_request_views, views

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
    path("sows/versions/<int:pk>/pdf/status/", views.pdf_status, name="pdf_status"),
    path("sows/versions/<int:pk>/pdf/<str:kind>.pdf", views.download_pdf, name="download_pdf"),
    path("sows/versions/<int:pk>/signed.pdf", views.download_signed, name="download_signed"),
    path("sows/versions/<int:pk>/diff/", views.version_diff, name="diff"),
    path("sows/versions/<int:pk>/<str:action>/", views.version_transition, name="transition"),
]

# Change requests on signed SOWs.
urlpatterns += [
    path("sows/versions/<int:pk>/change-requests/new/", change_request_views.cr_create, name="cr_create"),
    path("change-requests/<int:pk>/", change_request_views.cr_detail, name="cr_detail"),
    path("change-requests/<int:pk>/edit/", change_request_views.cr_edit, name="cr_edit"),
    path("change-requests/<int:pk>/lines/", change_request_views.cr_line_add, name="cr_line_add"),
    path(
        "change-requests/<int:pk>/lines/<int:line_pk>/delete/",
        change_request_views.cr_line_delete,
        name="cr_line_delete",
    ),
    path(
        "change-requests/<int:pk>/from-estimate/",
        change_request_views.cr_from_estimate,
        name="cr_from_estimate",
    ),
    path("change-requests/<int:pk>/pdf/", change_request_views.cr_request_pdf, name="cr_request_pdf"),
    path(
        "change-requests/<int:pk>/pdf/<str:kind>.pdf",
        change_request_views.cr_download_pdf,
        name="cr_download_pdf",
    ),
    path(
        "change-requests/<int:pk>/signed.pdf",
        change_request_views.cr_download_signed,
        name="cr_download_signed",
    ),
    path("change-requests/<int:pk>/<str:action>/", change_request_views.cr_transition, name="cr_transition"),
    # the approval ladder: an approver's delegation while away
    path("approvals/delegations/", approval_views.delegations, name="delegations"),
    path("approvals/delegations/<int:pk>/end/", approval_views.delegation_end, name="delegation_end"),
]

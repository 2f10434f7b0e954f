from django.urls import path

from salesforce import views

app_name = "salesforce"

urlpatterns = [
    path("sync-conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("salesforce/sync-now/", views.sync_now, name="sync_now"),
    path("salesforce/check-org/", views.org_check, name="org_check"),
]

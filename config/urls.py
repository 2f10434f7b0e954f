from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.audit_views import audit
from config.job_views import job_status
from config.views import admin_status, health, home
from people.sso import LocalLoginForm, logout

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LocalLoginForm), name="login"),
    path("accounts/logout/", logout, name="logout"),  # with SSO: at the provider too
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    *([path("oidc/", include("people.sso"))] if settings.OIDC_ENABLED else []),  # single sign-on
    path("health/", health, name="health"),
    path("admin/status/", admin_status, name="admin_status"),
    path("audit/", audit, name="audit"),
    path("jobs/<int:pk>/", job_status, name="job_status"),  # polled while a background job runs
    path("admin/", admin.site.urls),
    path("", include("api.urls")),  # /api/v1/ and the API tokens page
    path("", include("engagements.urls")),
    path("", include("salesforce.urls")),
    path("", include("people.urls")),
    path("", include("notifications.urls")),
    path("", include("scoping.urls")),
    path("", include("sow.urls")),
    path("", include("staffing.urls")),
    path("", include("forecasting.urls")),
    path("", include("calls.urls")),
]

# No route serves MEDIA_URL, whatever DEBUG says: SOW PDFs and signed copies are downloaded only
# through sow:download_pdf and sow:download_signed, which check who may see them.

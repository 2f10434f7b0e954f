"""Stored SOW files: never served from MEDIA_URL, only through the views that check access, and
stored under names nobody can derive from the SOW reference."""

import importlib
import re

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import clear_url_caches, reverse

from core.roles import Role
from sow import pdf
from sow.models import SowDocument, SowVersion
from tests.conftest import client_for
from tests.sow.factories import blank_pdf, take_to

pytestmark = pytest.mark.django_db
RANDOM_NAME = re.compile(r"sow/(pdf|signed)/[A-Za-z0-9_-]{32}\.pdf")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def debug_urls(settings, media):
    """The project's URLconf as `make run` builds it: imported with DEBUG on."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def signed_with_final_pdf(media, em, director, draft):
    version = take_to(draft, "signed", em=em, director=director)
    document, _ = SowDocument.objects.get_or_create(sow_version=version, kind=SowDocument.Kind.FINAL)
    pdf.render_document(document.pk)
    return SowVersion.objects.get(pk=version.pk)


@pytest.fixture
def everyone(em, other_em, em_manager, leadership, director, admin_person, make_person):
    return {
        "em": em,
        "other_em": other_em,
        "em_manager": em_manager,
        "leadership": leadership,
        "director": director,
        "admin": admin_person,
        "ps_operations": make_person(Role.PS_OPERATIONS, username="ops"),
    }


def stored_names(version):
    document = SowDocument.objects.get(sow_version=version, kind=SowDocument.Kind.FINAL)
    return [version.signed_copy.name, document.file.name]


def test_media_url_of_stored_files_is_not_found_for_anyone_under_debug(
    debug_urls, signed_with_final_pdf, everyone
):
    names = stored_names(signed_with_final_pdf)
    assert all(default_storage.exists(name) for name in names)
    for role, person in everyone.items():
        client = client_for(person)
        for name in names:
            response = client.get(default_storage.url(name))  # /media/sow/…
            assert response.status_code == 404, (role, name)


def test_download_views_serve_the_allowed_user_and_refuse_a_foreign_region_em(
    debug_urls, signed_with_final_pdf, em, other_em
):
    version = signed_with_final_pdf
    signed_url = reverse("sow:download_signed", args=[version.pk])
    final_url = reverse("sow:download_pdf", args=[version.pk, "final"])
    owner = client_for(em)
    signed = owner.get(signed_url)
    assert signed.status_code == 200
    assert signed.getvalue().startswith(b"%PDF-")
    assert f'filename="{version.sow.reference}-v1-signed.pdf"' in signed["Content-Disposition"]
    final = owner.get(final_url)
    assert final.status_code == 200
    assert f'filename="{version.sow.reference}-v1.pdf"' in final["Content-Disposition"]
    foreign = client_for(other_em)
    assert foreign.get(signed_url).status_code in (403, 404)
    assert foreign.get(final_url).status_code in (403, 404)


def test_stored_names_are_random_not_made_from_the_reference(signed_with_final_pdf):
    version = signed_with_final_pdf
    names = stored_names(version)
    for name in names:
        assert RANDOM_NAME.fullmatch(name), name
        assert version.sow.reference not in name
    assert names[0] != names[1]
    another = SowVersion()
    another.signed_copy.save("signed.pdf", ContentFile(blank_pdf()), save=False)
    assert another.signed_copy.name is not None
    assert RANDOM_NAME.fullmatch(another.signed_copy.name)
    assert another.signed_copy.name != names[0]


def test_migration_moves_files_stored_under_reference_names(media, draft):
    migration = importlib.import_module("sow.migrations.0003_random_file_names")
    old = default_storage.save(f"sow/pdf/{draft.sow.reference}-v1-draft.pdf", ContentFile(b"%PDF-1.7 old"))
    document = SowDocument.objects.create(sow_version=draft, kind="draft", status="ready", file=old)
    missing = SowDocument.objects.create(
        sow_version=draft, kind="final", status="ready", file="sow/pdf/gone.pdf"
    )

    migration.rename_stored_files(apps, None)

    document.refresh_from_db()
    assert document.file.name is not None
    assert RANDOM_NAME.fullmatch(document.file.name)
    assert not default_storage.exists(old)
    with default_storage.open(document.file.name, "rb") as handle:
        assert handle.read() == b"%PDF-1.7 old"
    missing.refresh_from_db()
    assert missing.file.name == "sow/pdf/gone.pdf"  # nothing to move; left as it was

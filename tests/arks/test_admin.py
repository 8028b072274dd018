import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from arks import services
from tests import factories


@pytest.fixture(autouse=True)
def _st(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.mark.django_db
def test_probe(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-Secret-123")
    client.force_login(user)
    sh = factories.shoulder("fk4")
    services.mint(shoulder=sh, actor="t", count=3)
    r = client.get(reverse("admin:arks_naan_change", args=[sh.naan_id]))
    html = r.content.decode()
    for m in re.finditer(r"<(input|select|textarea)[^>]*>", html):
        print(m.group(0)[:200])
    i = html.find("minted")
    print(html[i - 200 : i + 3000])

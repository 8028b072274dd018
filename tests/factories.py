"""Small factories for the identifier models, built through the services like real data is."""

from __future__ import annotations

import itertools

from arks import services
from arks.models import Naan, Organization, Shoulder

_seq = itertools.count()


def organization(name: str | None = None) -> Organization:
    return services.ensure_organization(name=name or f"Institution {next(_seq)}")


def naan(code: str = "99999", holder: Organization | None = None) -> Naan:
    return services.register_naan(naan=code, holder=holder or organization())


def shoulder(
    prefix: str = "fk4",
    *,
    template: str = "zeedk",
    naan_code: str = "99999",
    org: Organization | None = None,
) -> Shoulder:
    the_naan = Naan.objects.filter(naan=naan_code).first() or naan(naan_code)
    return services.delegate_shoulder(
        naan=the_naan, prefix=prefix, organization=org or organization(), template=template
    )

"""The demo set-up that ``make run`` creates on an empty database."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from arks import services
from arks.models import Naan

DEMO_NAAN = "99999"  # the ARK specification's NAAN for test identifiers
DEMO_SHOULDER = "fk4"
DEMO_WORKS_SHOULDER = "w3"  # the default PIDSVC_WORKS_SHOULDER: aggregated works' ARKs
DEMO_ORG = "Demo Institution"
DEMO_NODE = "Demo Aggregator"  # this node's own organisation: it holds the NAAN and the works


@dataclass(frozen=True)
class DemoSetup:
    username: str
    password: str
    api_key: str
    shoulder: str


@transaction.atomic
def create_demo_setup() -> DemoSetup | None:
    """Create the demo NAAN and works shoulder (held by the node's organisation), an
    institution with its shoulder and API key, and a superuser.

    Only on an empty database (no NAAN, no user): it never touches a configured service.
    Returns None when there was something already.
    """
    if Naan.objects.exists() or get_user_model().objects.exists():
        return None
    node = services.become_node(services.ensure_organization(name=DEMO_NODE))
    org = services.ensure_organization(name=DEMO_ORG)
    naan = services.register_naan(
        naan=DEMO_NAAN,
        holder=node,
        policy_statement="Test identifiers: they may not resolve for long (ARK spec, NAAN 99999).",
    )
    shoulder = services.delegate_shoulder(
        naan=naan,
        prefix=DEMO_SHOULDER,
        organization=org,
        is_test=True,
        persistence_statement="Demo shoulder: identifiers minted here are for trying the service.",
    )
    services.delegate_shoulder(
        naan=naan,
        prefix=DEMO_WORKS_SHOULDER,
        organization=node,
        is_test=True,
        persistence_statement="Demo shoulder of aggregated works: one ARK per work found in the "
        "harvested sources, kept stable across harvests.",
    )
    _, key = services.issue_api_key(organization=org, name="demo key")
    password = secrets.token_urlsafe(12)
    get_user_model().objects.create_superuser("admin", "admin@localhost", password)
    return DemoSetup(username="admin", password=password, api_key=key, shoulder=str(shoulder))

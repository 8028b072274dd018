"""The administrators' scripting surface: management commands over the services."""

from __future__ import annotations

import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from arks.demo import create_demo_setup
from arks.domain import noid
from arks.models import ApiKey, Ark, Naan, Organization, RegistryNaan, Shoulder
from tests import support

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "naan_registry"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_add_naan_creates_the_holder_and_updates_in_place():
    run("add_naan", "13030", "--org", "California Digital Library")
    naan = Naan.objects.get(naan="13030")
    assert (naan.holder.name, naan.served) == ("California Digital Library", True)
    run("add_naan", "13030", "--org", "California Digital Library", "--forward-to",
        "https://peer.example.org/ark:${content}")  # fmt: skip
    naan.refresh_from_db()
    assert (naan.served, naan.forward_to) == (False, "https://peer.example.org/ark:${content}")
    assert Naan.objects.count() == 1


def test_add_naan_keeps_leading_zeros():
    run("add_naan", "013960", "--org", "Org A")
    run("add_naan", "13960", "--org", "Org A")
    assert set(Naan.objects.values_list("naan", flat=True)) == {"013960", "13960"}


def test_delegate_shoulder_creates_missing_naan_and_org():
    out = run("delegate_shoulder", "ark:/99999/b7", "--org", "Universidade X", "--template", "eedk")
    shoulder = Shoulder.objects.get(prefix="b7")
    assert (shoulder.naan.naan, shoulder.organization.name, shoulder.template) == (
        "99999", "Universidade X", "eedk"
    )  # fmt: skip
    assert shoulder.naan.holder.name == "Universidade X"
    assert "ark:99999/b7" in out


def test_delegate_shoulder_errors_are_one_line_command_errors():
    run("delegate_shoulder", "ark:99999/fk4", "--org", "A")
    with pytest.raises(CommandError, match="overlaps"):
        run("delegate_shoulder", "ark:99999/fk", "--org", "B")
    with pytest.raises(CommandError, match="NAAN"):
        run("delegate_shoulder", "ark:9a999/fk4", "--org", "B")


def test_the_works_shoulder_is_delegated_only_to_the_nodes_organisation(settings):
    """The first organisation the works shoulder goes to becomes this node's; no other can be
    given a works shoulder afterwards."""
    out = run("delegate_shoulder", "ark:99999/w3", "--org", "Red Nacional")
    assert "Red Nacional is this node's organisation" in out
    assert Organization.objects.get(is_node=True).name == "Red Nacional"
    assert "node" not in run("delegate_shoulder", "ark:99999/fk4", "--org", "Universidad")
    settings.PIDSVC_WORKS_SHOULDER = "ark:12345/w3"
    with pytest.raises(CommandError, match="held by this node's organisation, Red Nacional"):
        run("delegate_shoulder", "ark:12345/w3", "--org", "Universidad")
    assert not Shoulder.objects.filter(naan__naan="12345").exists()


def test_create_api_key_prints_only_the_key_on_its_last_line():
    Organization.objects.create(name="Org K")
    out = StringIO()
    call_command("create_api_key", "--org", "Org K", stdout=out, stderr=StringIO())
    key = out.getvalue().strip().splitlines()[-1]
    assert ApiKey.objects.is_valid(key)
    assert ApiKey.objects.get_from_key(key).organization.name == "Org K"
    with pytest.raises(CommandError, match="no organisation"):
        run("create_api_key", "--org", "Nobody")


def test_mint_prints_one_ark_per_line_and_binds_the_target():
    run("delegate_shoulder", "ark:99999/fk4", "--org", "A")
    lines = run("mint", "ark:99999/fk4", "--count", "3", "--target", "https://e.org/x").split()
    assert len(lines) == 3 and len(set(lines)) == 3
    template = noid.Template.parse("zeedk", prefix="fk4")
    for line in lines:
        ark = Ark.objects.get(ark=line)
        assert (ark.state, ark.target) == ("public", "https://e.org/x")
        assert template.matches(line.removeprefix("ark:99999/"), naan="99999")
    (reserved,) = run("mint", "ark:99999/fk4").split()
    assert Ark.objects.get(ark=reserved).state == "reserved"
    with pytest.raises(CommandError, match="no shoulder"):
        run("mint", "ark:99999/zz9")


def test_import_naans_reads_json_and_anvl_and_updates_in_place():
    out = run("import_naans", str(FIXTURES / "naan_records_sample.json"))
    first = RegistryNaan.objects.count()
    assert first > 0 and f"{first} new" in out
    run("import_naans", str(FIXTURES / "naan_records_sample.json"))
    assert RegistryNaan.objects.count() == first  # re-import updates, never duplicates
    run("import_naans", str(FIXTURES / "naan_registry_sample.txt"))
    assert RegistryNaan.objects.filter(naan="13038", name__contains="Intellectual").exists()


def test_import_naans_refuses_malformed_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"what": 12345}]))
    with pytest.raises(CommandError, match=r"bad\.json"):
        run("import_naans", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        run("import_naans", str(tmp_path / "missing.txt"))


def test_demo_setup_only_on_an_empty_database():
    demo = create_demo_setup()
    assert demo is not None
    shoulders = {str(s): s.organization.name for s in Shoulder.objects.all()}
    # The institution's shoulder, and the aggregated works' (the default works shoulder).
    assert shoulders == {"ark:99999/fk4": "Demo Institution", "ark:99999/w3": "Demo Aggregator"}
    assert ApiKey.objects.is_valid(demo.api_key)
    assert create_demo_setup() is None
    assert "skipped" in run("setup_demo")


@pytest.mark.django_db(transaction=True)
def test_commands_exit_non_zero_with_a_message():
    proc = subprocess.run(
        support.manage("mint", "ark:99999/nothing9"),
        env=support.child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "no shoulder ark:99999/nothing9" in proc.stderr
    assert "Traceback" not in proc.stderr

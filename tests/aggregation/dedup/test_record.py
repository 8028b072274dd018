"""DedupRecord: PIDs normalised by aggregation.formats.pids, the Product adapter, title forms."""

from __future__ import annotations

import subprocess
import sys

import pytest

from aggregation.dedup import DedupRecord, from_product, split_authors
from aggregation.formats.model import NameIdentifier, Person, Product, ResourceType, Title
from aggregation.formats.pids import Pid


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("https://doi.org/10.1234/ABC.Def", "doi:10.1234/abc.def"),
        ("doi:10.1234/abc.def", "doi:10.1234/abc.def"),
        (("doi", "10.1234/ABC.DEF"), "doi:10.1234/abc.def"),
        ("hdl:1721.1/12345", "handle:1721.1/12345"),
        ("https://hdl.handle.net/1721.1/12345", "handle:1721.1/12345"),
        ("arXiv:2101.00001v2", "arxiv:2101.00001"),
        ("https://arxiv.org/abs/2101.00001", "arxiv:2101.00001"),
        ("PMID: 0012345", "pmid:12345"),
        ("PMC123456", "pmcid:PMC123456"),
        ("urn:nbn:de:bvb:19-146642", "urn:urn:nbn:de:bvb:19-146642"),
        ("URN:NBN:de:bvb:19-146642", "urn:urn:nbn:de:bvb:19-146642"),
        ("ISBN 0-306-40615-2", "isbn:9780306406157"),
        ("978-0-306-40615-7", "isbn:9780306406157"),
    ],
)
def test_pids_are_normalised_to_one_key(raw: str | tuple[str, str], key: str) -> None:
    record = DedupRecord.create("r", pids=[raw])
    assert record.features.pid_keys == {key}


def test_invalid_and_non_identifying_pids_are_dropped() -> None:
    record = DedupRecord.create(
        "r", pids=["ISBN 0-306-40615-3", "ISSN 0378-5955", "https://example.org/page", "junk"]
    )
    assert record.pids == ()


def test_from_product_reads_titles_creators_year_kind_and_pids() -> None:
    product = Product(
        format="oai_openaire",
        titles=(
            Title("Análise de redes", "pt", "main"),
            Title("Network analysis", "en", "translated"),
        ),
        creators=(
            Person(
                "Silva, Ana",
                given_name="Ana",
                family_name="Silva",
                identifiers=(NameIdentifier("orcid", "0000-0002-1825-0097"),),
            ),
            Person("World Health Organization", name_type="organizational"),
        ),
        publication_year=2021,
        resource_type=ResourceType("publication", label="journal article"),
        pids=(Pid("doi", "10.1234/x"), Pid("issn", "0378-5955"), Pid("arxiv", "2101.00001", 2)),
        container_title="Revista de Redes",
    )
    record = from_product(product, "rec-1")
    assert record.id == "rec-1"
    assert record.titles == (
        ("Análise de redes", "pt", "main"),
        ("Network analysis", "en", "translated"),
    )
    assert record.authors == ("Silva, Ana", "World Health Organization")
    assert record.author_ids == ("0000-0002-1825-0097",)
    assert (record.year, record.kind, record.venue) == (2021, "publication", "Revista de Redes")
    assert record.features.pid_keys == {"doi:10.1234/x", "arxiv:2101.00001"}


def test_from_product_without_a_type_has_no_kind() -> None:
    assert from_product(Product(format="oai_dc"), "r").kind is None


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("viswanath poosala , yannis e. ioannidis", ["viswanath poosala", "yannis e. ioannidis"]),
        ("Smith, J.; Doe, Jane", ["Smith, J.", "Doe, Jane"]),
        ("Smith, J., Doe, A.", ["Smith, J.", "Doe, A."]),
        ("Ana Silva and Rui Costa", ["Ana Silva", "Rui Costa"]),
        ("", []),
    ],
)
def test_split_authors(text: str, names: list[str]) -> None:
    assert split_authors(text) == names


def test_titles_get_forms_without_subtitle_label_and_note() -> None:
    record = DedupRecord.create("r", titles=["Tutorial: Stream, the data manager (demo abstract)"])
    forms = {f.key_text: f.is_part for f in record.features.titles}
    assert forms["tutorial stream data manager demo abstract"] is False
    assert forms["tutorial"] is True
    assert forms["stream data manager demo abstract"] is True  # label cut
    assert forms["tutorial stream data manager"] is True  # note cut


def test_a_subtitle_given_apart_is_joined_to_the_title() -> None:
    record = DedupRecord.create(
        "r", titles=[("Soil erosion", "en", "main"), ("A case study", "en", "subtitle")]
    )
    texts = [(f.key_text, f.is_part) for f in record.features.titles]
    assert texts == [("soil erosion", False), ("soil erosion case study", False)]


def test_generic_titles_are_recognised_in_six_languages_with_numbers() -> None:
    for title in (
        "Editorial",
        "Guest Editorial",
        "Apresentação",
        "Presentación",
        "Vorwort",
        "Editoriale",
        "Avant-propos",
        "Book review",
        "Editorial 2",
        "In memoriam",
    ):
        assert DedupRecord.create("r", titles=[title]).features.titles[0].generic, title
    assert (
        not DedupRecord.create("r", titles=["Editorial policies of open journals"])
        .features.titles[0]
        .generic
    )


def test_the_dedup_package_imports_no_django() -> None:
    code = (
        "import sys, aggregation.dedup, bench.dedup_eval, bench.dedup_scale; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

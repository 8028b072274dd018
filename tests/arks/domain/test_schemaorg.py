"""The schema.org reading of an ARK's metadata: type of the work, authors, licence (pure)."""

from __future__ import annotations

import pytest

from arks.domain.schemaorg import FALLBACK_TYPE, authors, license_of, work_type


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"type": "info:eu-repo/semantics/doctoralThesis"}, "Thesis"),
        ({"type": "Audiovisual"}, "VideoObject"),  # DataCite resourceTypeGeneral
        ({"type": "technical report"}, "Report"),  # COAR label
        ({"type": ["", "c'est un jeu de données", "Dataset"]}, "Dataset"),  # the first known
        ({"resourceTypeGeneral": "Software"}, "SoftwareSourceCode"),
        ({"type": {"resourceTypeGeneral": "Book"}}, "Book"),
        ({"kind": "software"}, "SoftwareSourceCode"),  # the pipeline's coarse kind
        ({"kind": "publication"}, FALLBACK_TYPE),
        ({"type": 7, "kind": ["x"]}, FALLBACK_TYPE),  # free JSON that says nothing
    ],
)
def test_the_type_is_read_from_every_vocabulary_in_use(metadata, expected):
    assert work_type(metadata) == expected


def test_erc_names_split_on_semicolons_and_codes_are_skipped():
    assert authors("") == []
    assert authors(" ; (:unas) ; ") == []
    assert authors("Lab of Things;Doe, Jane") == [
        {"@type": "Organization", "name": "Lab of Things"},
        {"@type": "Person", "name": "Jane Doe", "familyName": "Doe", "givenName": "Jane"},
    ]


def test_the_licence_may_be_an_object_or_come_from_the_instances():
    url = "https://creativecommons.org/licenses/by/4.0/"
    assert license_of({"license": {"url": url, "name": "CC BY 4.0"}}) == url
    assert license_of({"rights": ["CC0"]}) == "CC0"
    assert license_of({"instances": [{"url": "x"}, {"license": url}]}) == url
    assert license_of({"license": "  ", "instances": "nonsense"}) is None

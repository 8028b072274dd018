"""What an ARK's metadata says in schema.org terms: the type of the work, its authors, its licence.

Pure: plain values in, plain values out. The resolver's JSON-LD (``arks.representations``) is
built from these, so that search engines and harvesters see a ``Dataset`` as a dataset and an
author as a person.

The type comes from the metadata's ``type`` (or ``resourceTypeGeneral``), whatever vocabulary it
is written in: a COAR resource type URI or label, an info:eu-repo type, a DataCite
resourceTypeGeneral, a DCMI or Eprints type, a schema.org type name or common free text. All of
these go through the COAR mapping of ``aggregation.formats.vocab`` (the one place the project
reads those vocabularies; pure as well), then onto schema.org below. The works of the
aggregation pipeline also carry their coarse ``kind`` (publication, dataset, software, other),
used when the type says nothing more. Anything unknown is a ``CreativeWork``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from aggregation.formats.vocab import coar_type_from_label, coar_type_from_uri, label_key

__all__ = ["FALLBACK_TYPE", "authors", "license_of", "work_type"]

FALLBACK_TYPE: Final = "CreativeWork"

# COAR resource type concept -> schema.org type (https://schema.org/docs/full.html). The
# choice is this project's judgement: the closest schema.org type, CreativeWork where schema.org
# has none narrower (patent, lecture, letter, poster, workflow, "other", "text"…).
_BY_COAR: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "c_6501",  # journal article
            "c_2df8fbb1",  # research article
            "c_dcae04bc",  # review article
            "c_beb9",  # data paper
            "c_3e5a",  # contribution to journal
            "c_b239",  # editorial
            "c_545b",  # letter to the editor
            "c_816b",  # preprint
            "c_8042",  # working paper
            "c_5794",  # conference paper
            "c_18cp",  # conference paper not in proceedings
            "c_c94f",  # conference object
            "c_1162",  # annotation
        ),
        "ScholarlyArticle",
    ),
    "c_ddb1": "Dataset",
    "c_5ce6": "SoftwareSourceCode",
    "c_2f33": "Book",
    "c_3248": "Chapter",
    **dict.fromkeys(("c_46ec", "c_7a1f", "c_bdcc", "c_db06"), "Thesis"),
    **dict.fromkeys(
        (
            *("c_93fc", "c_ba1f", "c_18ww", "c_18wz", "c_18wq", "c_186u", "c_18op", "c_18hj"),
            *("c_18ws", "c_18gh", "c_baaf"),  # research, technical report; research proposal
        ),
        "Report",
    ),
    **dict.fromkeys(("c_efa0", "c_ba08"), "Review"),
    **dict.fromkeys(("c_0640", "c_2659"), "Periodical"),
    "c_71bd": "TechArticle",
    **dict.fromkeys(("c_c513", "c_ecc8"), "ImageObject"),
    **dict.fromkeys(("c_8a7e", "c_12ce"), "VideoObject"),
    "c_18cc": "AudioObject",
    **dict.fromkeys(("c_12cc", "c_12cd"), "Map"),
    "c_7ad9": "WebSite",
    "c_18cd": "MusicComposition",
}
# schema.org's own names, accepted as they are (``Dataset``, ``scholarly-article``).
_SCHEMA_TYPES: Final = {label_key(t): t for t in _BY_COAR.values()}
# The pipeline's coarse kinds (OpenAIRE's result types).
_BY_KIND: Final = {"dataset": "Dataset", "software": "SoftwareSourceCode"}

# ERC convention (Kunze & Turner, "Kernel Metadata and Electronic Resource Citations"): several
# names in one element are separated by ';', a personal name is written family name first,
# then a comma; values such as "(:unkn)" are codes for a missing value, not names.
_NAME_SEPARATOR: Final = ";"
_ERC_CODE = re.compile(r"^\(:[a-z]+\)")
# Words that make a name without a comma an organisation rather than a person (English,
# Spanish, Portuguese, French, Italian, German: the languages of the aggregators served).
_ORGANISATION_WORDS: Final = frozenset(
    """
    university universidad universidade université università universität universitat
    institute instituto institut istituto college colegio school escuela escola école academy
    academia académie laboratory laboratorio laboratório laboratoire lab labs center centre
    centro zentrum foundation fundación fundação fondation stiftung consortium consorcio
    council consejo conselho agency agencia agência ministry ministerio ministério department
    departamento département society sociedad sociedade société association asociación
    associação group grupo groupe project proyecto projeto network red rede library
    biblioteca bibliothèque museum museo museu archive archivo arquivo archives hospital
    observatory observatorio committee comité comisión commission team equipo inc ltd llc
    gmbh corporation company
    """.split()  # noqa: SIM905 - a word list reads better as words
)


def work_type(metadata: Mapping[str, Any]) -> str:
    """The schema.org type of the work an ARK's metadata describes (``FALLBACK_TYPE`` if none)."""
    for value in _type_values(metadata):
        found = _schema_type(value)
        if found:
            return found
    kind = metadata.get("kind")
    return _BY_KIND.get(kind, FALLBACK_TYPE) if isinstance(kind, str) else FALLBACK_TYPE


def _type_values(metadata: Mapping[str, Any]) -> Iterator[str]:
    """Texts that may name the type: ``type`` or ``resourceTypeGeneral`` as a string, a list of
    strings, or an object such as ``{"uri": …, "label": …}``."""
    for key in ("type", "resourceTypeGeneral", "resource_type"):
        yield from _texts(metadata.get(key))


def _texts(value: Any, depth: int = 0) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif depth < 2 and isinstance(value, list):
        for item in value[:20]:
            yield from _texts(item, depth + 1)
    elif depth < 2 and isinstance(value, Mapping):
        for key in ("uri", "id", "@id", "resourceTypeGeneral", "code", "label", "name"):
            yield from _texts(value.get(key), depth + 1)


def _schema_type(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    code = coar_type_from_uri(text)
    if code is None:
        # info:eu-repo/semantics/article, https://schema.org/Dataset: the last segment names it.
        last = re.split(r"[/#]", text.rstrip("/"))[-1]
        schema = _SCHEMA_TYPES.get(label_key(last))
        if schema:
            return schema
        code = coar_type_from_label(text) or coar_type_from_label(last)
    return _BY_COAR.get(code) if code else None


def authors(who: str) -> list[dict[str, str]]:
    """The ERC ``who`` as schema.org agents: ``Person`` (with family and given names when written
    "Family, Given"), or ``Organization`` for a name such as "Universidad de Chile"."""
    agents = []
    for part in who.split(_NAME_SEPARATOR):
        name = " ".join(part.split())
        if not name or _ERC_CODE.match(name):
            continue
        agents.append(_agent(name))
    return agents


def _agent(name: str) -> dict[str, str]:
    family, comma, given = (p.strip() for p in name.partition(","))
    if comma and family and given:
        return {"@type": "Person", "name": f"{given} {family}", "familyName": family,
                "givenName": given}  # fmt: skip
    words = name.split()
    acronym = len(words) == 1 and len(name) > 1 and name.isupper()  # CERN, CNRS, UNESCO
    organisation = acronym or {w.strip(".()").casefold() for w in words} & _ORGANISATION_WORDS
    kind = "Organization" if organisation else "Person"
    return {"@type": kind, "name": name}


def license_of(metadata: Mapping[str, Any]) -> str | None:
    """The licence the metadata states (``license``, ``licence`` or ``rights``: a URL or text,
    or an object with one), else the first its instances state (works of the pipeline)."""
    for key in ("license", "licence", "rights"):
        for text in _licence_texts(metadata.get(key)):
            return text
    instances = metadata.get("instances")
    if isinstance(instances, list):
        for instance in instances[:100]:
            if isinstance(instance, Mapping):
                for text in _licence_texts(instance.get("license")):
                    return text
    return None


def _licence_texts(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        value = next((value[k] for k in ("url", "uri", "@id", "name") if k in value), None)
    elif isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, str) and value.strip():
        yield value.strip()

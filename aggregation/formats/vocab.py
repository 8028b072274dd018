"""Controlled vocabularies: COAR resource types, access rights and versions, and the mappings
from the older vocabularies repositories still send (info:eu-repo, DataCite, DCMI, eprints,
DSpace defaults) onto them.

Sources, all facts rather than code:

* COAR Resource Types: the 58 concepts the OpenAIRE Guidelines for Literature Repositories v4
  allow, with their English labels, exactly as enumerated in the bundled
  ``aggregation/schemas/openaire-4.0/oaire-resourceType-v4.xsd`` (a test keeps the two equal).
* COAR Access Rights (vocabularies.coar-repositories.org, "access_rights"), as listed in the
  Guidelines v4, "Access Rights (M)" and ``oaire-accessRight-v4.xsd``.
* COAR Version Types, as listed in the Guidelines v4, "Resource Version (R)".
* info:eu-repo publication types, access terms and versions: OpenAIRE Guidelines for Literature
  Repositories v3, "Publication Type (M)", "Access Level (M)", "Publication Version (R)".
* DataCite resourceTypeGeneral (Metadata Schema 4.x), DCMI Type Vocabulary, the Eprints Type
  Vocabulary (purl.org/eprint/type/) and DSpace's default ``dc.type`` values: the mapping onto
  COAR below is this project's judgement, choosing the closest concept the v4 XSD allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ACCESS_RIGHTS",
    "COAR_ACCESS_RIGHT_BASE",
    "COAR_RESOURCE_TYPES",
    "COAR_RESOURCE_TYPE_BASE",
    "COAR_VERSIONS",
    "INFO_EU_REPO_TYPES",
    "INFO_EU_REPO_VERSIONS",
    "OPENAIRE_RESOURCE_TYPE_GENERAL",
    "access_right_from",
    "coar_type_from_label",
    "coar_type_from_uri",
    "kind_of",
    "label_key",
    "version_from",
]

COAR_RESOURCE_TYPE_BASE: Final = "http://purl.org/coar/resource_type/"
COAR_ACCESS_RIGHT_BASE: Final = "http://purl.org/coar/access_right/"
COAR_VERSION_BASE: Final = "http://purl.org/coar/version/"

COAR_RESOURCE_TYPES: Final[dict[str, str]] = {
    "c_1162": "annotation",
    "c_0640": "journal",
    "c_6501": "journal article",
    "c_b239": "editorial",
    "c_7a1f": "bachelor thesis",
    "c_86bc": "bibliography",
    "c_2f33": "book",
    "c_3248": "book part",
    "c_ba08": "book review",
    "c_7ad9": "website",
    "c_e9a0": "interactive resource",
    "c_f744": "conference proceedings",
    "c_c94f": "conference object",
    "c_5794": "conference paper",
    "c_6670": "conference poster",
    "c_3e5a": "contribution to journal",
    "c_beb9": "data paper",
    "c_ddb1": "dataset",
    "c_db06": "doctoral thesis",
    "c_c513": "image",
    "c_8544": "lecture",
    "c_0857": "letter",
    "c_bdcc": "master thesis",
    "c_8a7e": "moving image",
    "c_2659": "periodical",
    "c_545b": "letter to the editor",
    "c_1843": "other",
    "c_15cd": "patent",
    "c_816b": "preprint",
    "c_93fc": "report",
    "c_ba1f": "report part",
    "c_baaf": "research proposal",
    "c_efa0": "review",
    "c_5ce6": "software",
    "c_ecc8": "still image",
    "c_71bd": "technical documentation",
    "c_393c": "workflow",
    "c_8042": "working paper",
    "c_46ec": "thesis",
    "c_12cc": "cartographic material",
    "c_12cd": "map",
    "c_12ce": "video",
    "c_18cc": "sound",
    "c_18cd": "musical composition",
    "c_18cf": "text",
    "c_18cp": "conference paper not in proceedings",
    "c_18co": "conference poster not in proceedings",
    "c_18cw": "musical notation",
    "c_18ww": "internal report",
    "c_18wz": "memorandum",
    "c_18wq": "other type of report",
    "c_186u": "policy report",
    "c_18op": "project deliverable",
    "c_18hj": "report to funding agency",
    "c_18ws": "research report",
    "c_18gh": "technical report",
    "c_dcae04bc": "review article",
    "c_2df8fbb1": "research article",
}

# The coarse kind OpenAIRE's graph sorts results into (publication, dataset, software, other
# research product). Everything not listed here is a publication.
_DATASET_TYPES = frozenset({"c_ddb1"})
_SOFTWARE_TYPES = frozenset({"c_5ce6"})
_OTHER_TYPES = frozenset(
    {"c_7ad9", "c_e9a0", "c_c513", "c_8a7e", "c_1843", "c_ecc8", "c_393c", "c_12cc", "c_12cd"}
    | {"c_12ce", "c_18cc", "c_18cd", "c_18cw"}
)
# Guidelines v4, "Resource Type (M)", attribute resourceTypeGeneral.
OPENAIRE_RESOURCE_TYPE_GENERAL: Final[dict[str, str]] = {
    "literature": "publication",
    "dataset": "dataset",
    "software": "software",
    "other research product": "other",
}


def kind_of(code: str) -> str:
    """``publication``, ``dataset``, ``software`` or ``other`` for a COAR resource type code."""
    if code in _DATASET_TYPES:
        return "dataset"
    if code in _SOFTWARE_TYPES:
        return "software"
    return "other" if code in _OTHER_TYPES else "publication"


INFO_EU_REPO_TYPES: Final[dict[str, str]] = {
    "article": "c_6501",
    "bachelorthesis": "c_7a1f",
    "masterthesis": "c_bdcc",
    "doctoralthesis": "c_db06",
    "book": "c_2f33",
    "bookpart": "c_3248",
    "review": "c_efa0",
    "conferenceobject": "c_c94f",
    "lecture": "c_8544",
    "workingpaper": "c_8042",
    "preprint": "c_816b",
    "report": "c_93fc",
    "annotation": "c_1162",
    "contributiontoperiodical": "c_3e5a",
    "patent": "c_15cd",
    "other": "c_1843",
}

# Other vocabularies' labels, reduced by ``label_key``. COAR's own labels are added below.
_LABELS: dict[str, str] = {
    # DataCite resourceTypeGeneral
    "audiovisual": "c_12ce",
    "award": "c_1843",
    "bookchapter": "c_3248",
    "collection": "c_1843",
    "computationalnotebook": "c_5ce6",
    "conferenceproceeding": "c_f744",
    "dissertation": "c_46ec",
    "event": "c_1843",
    "instrument": "c_1843",
    "journalarticle": "c_6501",
    "model": "c_1843",
    "outputmanagementplan": "c_1843",
    "peerreview": "c_efa0",
    "physicalobject": "c_1843",
    "poster": "c_6670",
    "presentation": "c_c94f",
    "project": "c_1843",
    "service": "c_1843",
    "standard": "c_1843",
    "studyregistration": "c_1843",
    # DCMI Type Vocabulary
    "movingimage": "c_8a7e",
    "stillimage": "c_ecc8",
    # Eprints Type Vocabulary
    "bookitem": "c_3248",
    "conferencepaper": "c_5794",
    "conferenceposter": "c_6670",
    "scholarlytext": "c_18cf",
    # DSpace default dc.type values and other common spellings
    "animation": "c_8a7e",
    "image3d": "c_c513",
    "learningobject": "c_1843",
    "musicalscore": "c_18cw",
    "planorblueprint": "c_1843",
    "recordingacoustical": "c_18cc",
    "recordingmusical": "c_18cc",
    "recordingoral": "c_18cc",
    "mastersthesis": "c_bdcc",
    "bachelorsthesis": "c_7a1f",
    "phdthesis": "c_db06",
}


def label_key(text: str) -> str:
    """``Book chapter``, ``BookChapter`` and ``book-chapter`` all become ``bookchapter``."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


_LABELS.update({label_key(label): code for code, label in COAR_RESOURCE_TYPES.items()})
_LABELS.update(INFO_EU_REPO_TYPES)


def coar_type_from_uri(uri: str) -> str | None:
    """The COAR code of a resource type URI (http or https, trailing slash tolerated)."""
    text = uri.strip().rstrip("/")
    code = text.rsplit("/", 1)[-1]
    if "purl.org/coar/resource_type/" in text and code in COAR_RESOURCE_TYPES:
        return code
    return None


def coar_type_from_label(text: str) -> str | None:
    return _LABELS.get(label_key(text))


@dataclass(frozen=True, slots=True)
class _Access:
    code: str
    uri: str
    label: str


ACCESS_RIGHTS: Final[dict[str, _Access]] = {
    code: _Access(code, COAR_ACCESS_RIGHT_BASE + concept, label)
    for code, concept, label in (
        ("open", "c_abf2", "open access"),
        ("embargoed", "c_f1cf", "embargoed access"),
        ("restricted", "c_16ec", "restricted access"),
        ("metadata_only", "c_14cb", "metadata only access"),
    )
}
_ACCESS_BY_CONCEPT = {a.uri.rsplit("/", 1)[1]: a.code for a in ACCESS_RIGHTS.values()}
_ACCESS_BY_KEY = {
    # info:eu-repo access terms (Guidelines v3): closedAccess means metadata only.
    "openaccess": "open",
    "embargoedaccess": "embargoed",
    "restrictedaccess": "restricted",
    "closedaccess": "metadata_only",
    "metadataonlyaccess": "metadata_only",
    "metadataonly": "metadata_only",
    "open": "open",
    "embargoed": "embargoed",
    "restricted": "restricted",
    "closed": "metadata_only",
}


def access_right_from(text: str) -> str | None:
    """Our access code for a COAR URI, an info:eu-repo term or a COAR label, else ``None``."""
    value = text.strip()
    if "purl.org/coar/access_right/" in value:
        return _ACCESS_BY_CONCEPT.get(value.rstrip("/").rsplit("/", 1)[-1])
    if value.startswith("info:eu-repo/semantics/"):
        value = value[len("info:eu-repo/semantics/") :]
    if len(value) > 40:
        return None
    return _ACCESS_BY_KEY.get(label_key(value))


COAR_VERSIONS: Final[dict[str, str]] = {
    "c_b1a7d7d4d402bcce": "AO",
    "c_71e4c1898caa6e32": "SMUR",
    "c_ab4af688f83e57aa": "AM",
    "c_fa2ee174bc00049f": "P",
    "c_970fb48d4fbd8a85": "VoR",
    "c_e19f295774971610": "CVoR",
    "c_dc82b40f9837b551": "EVoR",
    "c_be7fb7dd8ff6fe43": "NA",
}
# info:eu-repo versions onto the JAV/COAR labels (draft = author's original).
INFO_EU_REPO_VERSIONS: Final[dict[str, str]] = {
    "draft": "AO",
    "submittedversion": "SMUR",
    "acceptedversion": "AM",
    "publishedversion": "VoR",
    "updatedversion": "CVoR",
}


def version_from(uri: str | None, label: str | None) -> str | None:
    """The JAV label (``AM``, ``VoR``…) for a COAR version URI, else the label as given."""
    if uri:
        concept = uri.strip().rstrip("/").rsplit("/", 1)[-1]
        if concept in COAR_VERSIONS:
            return COAR_VERSIONS[concept]
    return label or None

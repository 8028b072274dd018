"""What the resolver says about an ARK, a shoulder or a NAAN, in each format it speaks.

One document (a dict) per thing described, then renderings of it: JSON as is, ANVL/ERC text
(ARK spec, "The Electronic Resource Citation"), schema.org JSON-LD, and FAIR Signposting links.
The HTML templates render the same document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings

from arks import selectors
from arks.domain import schemaorg
from arks.models import Ark, Naan, Shoulder


def public_url(ark_text: str) -> str:
    """The actionable form of an ARK on this resolver (its "Mapping ARK")."""
    return f"{settings.PIDSVC_PUBLIC_URL}{ark_text}"


def ark_document(
    ark: Ark, *, survivor: Ark, suffix: str = "", totals: dict[int, int] | None = None
) -> dict[str, Any]:
    """Everything public about ``ark`` as it resolves today (through ``survivor`` if merged)."""
    shown = survivor
    doc: dict[str, Any] = {
        "ark": shown.ark,
        "url": public_url(shown.ark),
        "state": shown.state,
        "target": shown.target if shown.state == Ark.State.PUBLIC else "",
        "who": shown.who,
        "what": shown.what,
        "when": shown.when,
        "where": shown.where,  # as stored: the ARK's own URL is "url"
        "metadata": shown.metadata,
        "created": shown.created_at.isoformat(),
        "updated": shown.updated_at.isoformat(),
    }
    if shown.state == Ark.State.UNAVAILABLE:
        doc["reason"] = shown.reason
    if survivor.pk != ark.pk:
        doc["requested"] = ark.ark
        doc["merged_into"] = survivor.ark
    if suffix:
        doc["inherited_suffix"] = suffix
        doc["requested"] = ark.ark + suffix
    doc["support"] = support_document(shown.shoulder)
    merged = survivor.pk != ark.pk  # then the merged ARK's own story too, its merge included
    events = selectors.ark_history(shown, *([ark] if merged else []))[:50]
    doc["history"] = [
        {
            "at": e.at.isoformat(),
            "action": e.get_action_display(),
            **({"ark": e.ark.ark} if merged else {}),
        }
        for e in events
    ]
    if totals is not None:  # counted for the ARK requested (or the ancestor that answered)
        doc["resolutions"] = totals.get(ark.pk, 0)
        doc["statistics"] = f"{settings.PIDSVC_PUBLIC_URL}stats/{ark.ark}"
    return doc


def support_document(shoulder: Shoulder | None) -> dict[str, Any]:
    """The commitment behind an ARK: who holds its NAAN and shoulder, and what they promise."""
    if shoulder is None:
        return {}
    naan = shoulder.naan
    return {
        "naan": naan.naan,
        "naan_holder": naan.holder.name,
        "naan_policy": naan.policy_statement,
        "shoulder": str(shoulder),
        "shoulder_holder": shoulder.organization.name,
        "persistence_statement": shoulder.persistence_statement,
        "test": shoulder.is_test,
        "url": public_url(str(shoulder)) + "?info",
    }


def naan_document(naan: Naan) -> dict[str, Any]:
    return {
        "naan": naan.naan,
        "url": public_url(f"ark:{naan.naan}"),
        "holder": naan.holder.name,
        "policy": naan.policy_statement,
        "shoulders": [
            {
                "shoulder": str(s),
                "holder": s.organization.name,
                "persistence_statement": s.persistence_statement,
                "test": s.is_test,
                "active": s.is_active,
            }
            for s in naan.shoulders.select_related("organization", "naan")
        ],
    }


def shoulder_document(shoulder: Shoulder) -> dict[str, Any]:
    return {**support_document(shoulder), "active": shoulder.is_active}


# --- renderings -------------------------------------------------------------------------------


def anvl(sections: list[tuple[str, dict[str, Any]]]) -> str:
    """ANVL records (``label: value`` lines, one blank line between records).

    Values are escaped as the ERC section asks: ``%``, line feeds and carriage returns are
    percent-encoded so that every element stays on one line; structured values become JSON.
    """
    lines: list[str] = []
    for record, elements in sections:
        lines.append(f"{record}:")
        for label, value in elements.items():
            if value in ("", None, [], {}):
                continue
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"{label}: {anvl_escape(text)}")
        lines.append("")
    return "\n".join(lines)


def anvl_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def ark_anvl(doc: dict[str, Any]) -> str:
    """The ERC of an ARK: its story (who/what/when/where) and its support commitment."""
    support = doc.get("support", {})
    erc = {k: doc[k] for k in ("who", "what", "when", "where")}
    erc |= {k: doc.get(k) for k in ("state", "target", "reason", "merged_into")}
    erc |= {k: doc.get(k) for k in ("requested", "inherited_suffix", "resolutions")}
    commitment = {
        "who": support.get("shoulder_holder"),
        "what": support.get("persistence_statement") or support.get("naan_policy"),
        "when": doc.get("created", "")[:10],
        "where": support.get("url"),
    }
    return anvl([("erc", erc), ("erc-support", commitment)])


def ark_jsonld(doc: dict[str, Any]) -> dict[str, Any]:
    """schema.org description for search engines and harvesters (embedded in landing pages)."""
    metadata = doc.get("metadata") or {}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": schemaorg.work_type(metadata),
        "@id": doc["url"],
        "identifier": doc["ark"],
        "url": doc["url"],
    }
    optional = {
        "name": doc["what"],
        "author": schemaorg.authors(doc["who"]),
        "datePublished": doc["when"],
        "license": schemaorg.license_of(metadata),
    }
    data |= {k: v for k, v in optional.items() if v}
    if doc.get("target"):
        data["mainEntityOfPage"] = doc["target"]
    if doc["state"] == Ark.State.UNAVAILABLE:
        data["creativeWorkStatus"] = "withdrawn"
    return data


def signposting(doc: dict[str, Any]) -> str:
    """FAIR Signposting ``Link`` header: the persistent identifier, metadata and content."""
    links = [
        f'<{doc["url"]}>; rel="cite-as"',
        f'<{doc["url"]}?info>; rel="describedby"; type="application/json"',
        # FAIR Signposting: the type of the work, and that this is a page about it.
        f'<https://schema.org/{schemaorg.work_type(doc.get("metadata") or {})}>; rel="type"',
        '<https://schema.org/AboutPage>; rel="type"',
    ]
    licence = schemaorg.license_of(doc.get("metadata") or {})
    if licence and _HEADER_URL.fullmatch(licence):
        links.append(f'<{_link_url(licence)}>; rel="license"')
    if doc.get("target"):
        links.append(f'<{_link_url(doc["target"])}>; rel="item"')
    return ", ".join(links)


# A URL that may go into a header as it is: http(s), visible ASCII only (stored metadata is free
# text; a line break in a header would be refused by Django, and a space would end the URL).
_HEADER_URL = re.compile(r"https?://[!-~]+")


def _link_url(url: str) -> str:
    """A URL made safe inside ``<…>`` of a Link header (RFC 8288)."""
    return url.replace("<", "%3C").replace(">", "%3E").replace('"', "%22")

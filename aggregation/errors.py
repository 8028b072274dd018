"""Typed errors of harvesting.

Two families, because what to do next depends only on which one it is (healthchecks'
``permanent`` flag, as classes):

* ``TransientHarvestError``: trying again later may work (connection refused, timeouts, 5xx,
  429/503 after every retry). Celery retries the run with backoff; the checkpoint means the retry
  continues where the run stopped.
* ``PermanentHarvestError``: the same request will fail the same way (an OAI-PMH error such as
  ``cannotDisseminateFormat``, an HTML page instead of OAI-PMH, malformed XML, a resumption-token
  loop). The run fails with the message; an administrator reads it in the admin.

Every message names what was asked and what came back, for the person reading the run's errors.
"""

from __future__ import annotations


class HarvestError(Exception):
    """Base of the expected failures of a harvest (never a bug)."""

    code = "harvest_error"

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def as_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.url:
            out["url"] = self.url
        return out


class TransientHarvestError(HarvestError):
    """Worth retrying later: the server or the network is (probably) temporarily unwell."""

    code = "transient"


class PageTimeout(TransientHarvestError):
    """A page took longer than any server could make it take (every attempt timing out, every
    wait at its longest): something is stuck. The run stops and is retried later."""

    code = "page_timeout"


class PermanentHarvestError(HarvestError):
    """Retrying the same request will not help."""

    code = "permanent"


class OaiError(PermanentHarvestError):
    """The server answered with an OAI-PMH ``<error>`` (OAI-PMH 2.0, section 3.6)."""

    code = "oai_error"

    def __init__(self, oai_code: str, message: str, *, url: str = "", status: int = 200) -> None:
        shown = f"{oai_code}: {message}" if message else oai_code
        if status != 200:
            shown += f" (sent with HTTP {status})"
        super().__init__(shown, url=url)
        self.oai_code = oai_code
        self.status = status


class BadResumptionToken(OaiError):
    """The token expired or was never valid; the run falls back to its ``from`` window."""

    code = "bad_resumption_token"


class NotOaiResponse(PermanentHarvestError):
    """An HTML page, JSON, an empty body or another XML document: not an OAI-PMH response."""

    code = "not_oai"


class MalformedPage(PermanentHarvestError):
    """The page is not well-formed (or not safe) XML. It is never repaired: a repaired page can
    silently lose records, and a lost record later reads as a withdrawn one."""

    code = "malformed_xml"


class ResumptionLoop(PermanentHarvestError):
    """The server sent a resumption token it had sent before: following it would never end."""

    code = "resumption_loop"


class HttpError(PermanentHarvestError):
    """An HTTP error that is neither retryable nor an OAI-PMH answer (404, 401, 410…)."""

    code = "http_error"


class HarvestConflict(Exception):
    """A run cannot start or change as asked (one already in flight, not held…); ``run_id``
    names the run in the way, when there is one (the admin links to it)."""

    def __init__(self, message: str, *, run_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.run_id = run_id


class InvalidSource(Exception):
    """A source's settings are unusable (no URL, an unknown folder, a bad schedule)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class IdentityNotConfigured(Exception):
    """No shoulder is configured for the ARKs of aggregated works (PIDSVC_WORKS_SHOULDER)."""


class CurationRefused(Exception):
    """A curator's split or merge that the identity rules do not allow."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CurationChanged(CurationRefused):
    """The decision would no longer do what the curator was shown (records moved meanwhile)."""

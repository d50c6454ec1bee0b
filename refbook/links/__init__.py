"""DOI and URL checking that a CI can trust, and refbook's one HTTP transport.

Collect targets (each entry's ``doi`` and ``url`` with their line) -> check them on the
network with polite limits -> a verdict each:

================  =======================================================================
``ok``            the DOI exists (Handle API) and its metadata agree; the URL answers 2xx
``redirected``    the URL answers after a permanent redirect (the new URL is given)
``broken``        404/410, no such host, connection refused, DOI not found, redirect loop
``mismatch``      the DOI's registered metadata describe another work (title) -- an
                  error; field differences (volume, year…) are warnings on an ``ok`` DOI
``blocked``       bot protection (403 with a challenge marker, 999, a WAF header) or 401
``timeout``       no answer in time, after retries
``rate-limited``  429, after honouring Retry-After (bounded)
``error``         anything else (5xx after retries, refused private address, bad syntax)
``excluded``      matched an exclude pattern; not checked
``retracted``     Crossref's ``updated-by`` has a retraction (errors: also ``withdrawn``)
``expression-of-concern``, ``corrected``, ``notice`` (the DOI is a notice),
``has-published-version`` (a preprint since published): warnings
================  =======================================================================

The modules, in the order a check runs:

- ``targets``: ``Target``, ``collect``/``iter_targets`` (DOIs and URLs of entries; arXiv e-prints as
  their DOIs), ``Exclusions``;
- ``checker``: ``Options``, ``Checker`` (workers, URL verdicts, network-down detection);
- ``doi``: Handle API lookups, Crossref/DataCite records (notices, published versions),
  ``compare``;
- ``runner``: ``Checker.run``'s loop (targets read while the first requests are out);
- ``transport``: the guarded HTTP transport every request goes through (private-address
  guard, deadline, pools, proxies, CA bundle, User-Agent); ``wire`` (with ``http1``): its
  lean face, for check's link requests (one thread, non-blocking sockets); ``client``:
  its urllib3 face, for DOI lookups and what ``wire`` hands over (per-host gates,
  retries, stale-connection retry); ``session``: its requests face, for ``add``;
- ``verdicts``: ``Verdict`` (CI meaning, severity, rule id, order) and ``Result``;
- ``cache``: ``ResultCache`` and ``parse_age``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..identifiers import doi_syntax_error, redact, url_syntax_error
from .checker import Checker, Options, not_checked
from .targets import Exclusions, Target, collect, iter_targets
from .transport import PrivateAddress, TransportError, user_agent
from .verdicts import FailsWhen, Result, Verdict

if TYPE_CHECKING:
    from .cache import ResultCache, parse_age
    from .doi import Difference, compare

# imported when first asked for: a check of URLs alone needs neither SQLite nor the DOI
# records' LaTeX folding before its first request
_LAZY = {"ResultCache": "cache", "parse_age": "cache", "Difference": "doi", "compare": "doi"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Checker",
    "Difference",
    "Exclusions",
    "FailsWhen",
    "Options",
    "PrivateAddress",
    "Result",
    "ResultCache",
    "Target",
    "TransportError",
    "Verdict",
    "collect",
    "iter_targets",
    "compare",
    "doi_syntax_error",
    "not_checked",
    "parse_age",
    "redact",
    "url_syntax_error",
    "user_agent",
]

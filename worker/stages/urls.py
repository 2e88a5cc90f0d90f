"""URL identity: one canonical form per article, and the ids derived from it."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from worker.errors import PermanentError

# Parameters that say how a reader arrived, never which page it is.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "mkt_tok", "ocid", "cmpid", "ns_mchannel",
        "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "ref_src", "ref_url", "smid",
        "cmp", "at_medium", "at_campaign", "xtor", "wt_mc", "wt.mc_id",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "at_custom", "hsa_", "pk_", "mtm_")
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_parameter(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMETERS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The form two links to the same page share.

    Lower-case scheme and host, IDNA host, no default port, dot segments resolved, no
    fragment, no tracking parameters, remaining parameters sorted, percent-encoding
    normalised.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise PermanentError("url", url, "not an absolute http(s) URL")
    try:
        port = parts.port
    except ValueError:
        raise PermanentError("url", url, "invalid port") from None
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not is_tracking_parameter(k)]
    )  # fmt: skip
    cleaned = urlunsplit((scheme, netloc, parts.path or "/", query, ""))
    return str(canonicalize_url(cleaned))


def short_digest(text: str, length: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def article_id(canonical: str) -> str:
    """Stable article id: a digest of the canonical URL."""
    return short_digest(canonical)


def feed_id(url: str) -> str:
    return short_digest(canonical_url(url), 16)


def same_site(first: str, second: str) -> bool:
    """Whether two URLs are on one host (``www.`` aside), so one may name the other canonical."""

    def host(url: str) -> str:
        name = (urlsplit(url).hostname or "").lower()
        return name.removeprefix("www.")

    return host(first) == host(second) and host(first) != ""

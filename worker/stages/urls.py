"""URL identity: one canonical form per article, and the ids derived from it."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

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


# Redirectors that carry the real URL in a query parameter: (host, path) -> parameter.
REDIRECTORS = {
    ("www.google.com", "/url"): "url",
    ("google.com", "/url"): "url",
    ("news.google.com", "/news/url"): "url",
    ("l.facebook.com", "/l.php"): "u",
    ("lm.facebook.com", "/l.php"): "u",
    ("out.reddit.com", "/"): "url",
    ("t.umblr.com", "/redirect"): "z",
    ("www.youtube.com", "/redirect"): "q",
    ("slack-redir.net", "/link"): "url",
    ("exit.sc", "/"): "url",
    ("href.li", "/"): "",
}


def unwrap_redirector(url: str) -> str:
    """The target of a known redirector link (Google, Facebook, Reddit, ...), else ``url``.

    Google's ``/url`` puts the target in ``url`` or ``q``; ``href.li`` after the ``?``.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    parameter = REDIRECTORS.get((host, parts.path or "/"))
    if parameter is None:
        return url
    if parameter == "":
        target = parts.query
    else:
        query = parse_qs(parts.query)
        values = query.get(parameter) or query.get("q") or [""]
        target = values[0]
    if target.startswith(("http://", "https://")):
        return unwrap_redirector(target) if target != url else target
    return url


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

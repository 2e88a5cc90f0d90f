"""URL identity: one canonical form per article, the ids derived from it, and a looser key.

w3lib (Scrapy's URL library) does the normalising: measured against courlan on the hard
cases, w3lib resolves dot segments, IDNA-encodes hosts and normalises percent-encoding while
keeping ``;`` parameters; courlan's ``normalize_url`` (twice as fast) kept dot segments,
fragments and Unicode hosts. The tracking list, default ports and the looser key are ours.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

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
# Host labels that name another rendering of the same site, not another site.
EDITION_PREFIXES = ("www.", "m.", "mobile.", "amp.")
AMP_PARAMETERS = frozenset({"amp", "outputtype"})
# The URL Standard's forbidden domain code points (those urlsplit can leave in a host).
_FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20%<>\\^|\x7f]")


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


def absolute_http_url(base: str, href: object) -> str | None:
    """``href`` resolved against ``base`` if it names an http(s) address; None for a link to
    anything else, or one so broken it cannot be parsed (a page's problem, not a reader's)."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        absolute = urljoin(base, href.strip())
        scheme = urlsplit(absolute).scheme
    except ValueError:  # an unclosed IPv6 bracket
        return None
    return absolute if scheme in DEFAULT_PORTS else None


def unwrap_redirector(url: str) -> str:
    """The target of a known redirector link (Google, Facebook, Reddit, ...), else ``url``.

    Google's ``/url`` puts the target in ``url`` or ``q``; ``href.li`` after the ``?``.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # not a URL at all: canonical_url says why
        return url
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
    normalised. A backslash before the query is a slash, as browsers read http(s) URLs.
    """
    stripped = url.strip()
    before_query = stripped.split("?", 1)[0].split("#", 1)[0]
    try:
        parts = urlsplit(before_query.replace("\\", "/") + stripped[len(before_query) :])
    except ValueError as error:  # an unclosed IPv6 bracket
        raise PermanentError("url", url, f"invalid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise PermanentError("url", url, "not an absolute http(s) URL")
    try:
        port = parts.port
    except ValueError:
        raise PermanentError("url", url, "invalid port") from None
    host = parts.hostname.rstrip(".")
    if _FORBIDDEN_IN_HOST.search(unquote(host)):
        raise PermanentError("url", url, "invalid host")
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not is_tracking_parameter(k)]
    )  # fmt: skip
    cleaned = urlunsplit((scheme, netloc, parts.path or "/", query, ""))
    try:
        return str(canonicalize_url(cleaned))
    except ValueError as error:  # a host that is neither a domain nor an IP address
        raise PermanentError("url", url, f"invalid URL: {error}") from None


def short_digest(text: str, length: int = 32) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def article_id(canonical: str) -> str:
    """Stable article id: a digest of the canonical URL."""
    return short_digest(canonical)


def feed_id(url: str) -> str:
    return short_digest(canonical_url(url), 16)


def site_host(url: str) -> str:
    """The host with its edition prefix (``www.``, ``m.``, ``mobile.``, ``amp.``) removed."""
    name = (urlsplit(url).hostname or "").lower()
    for prefix in EDITION_PREFIXES:
        if name.startswith(prefix) and name.count(".") > 1:
            return name.removeprefix(prefix)
    return name


def same_site(first: str, second: str) -> bool:
    """Whether two URLs are on one site (edition prefixes aside), so one may name the other
    canonical: a mobile or AMP page naming its desktop URL is the common case."""
    return site_host(first) == site_host(second) and site_host(first) != ""


def matching_key(url: str) -> str:
    """A looser identity than the canonical URL, for recognising one page under its variants.

    Beyond :func:`canonical_url`: scheme ignored, edition prefixes of the host removed, AMP
    renderings (a final ``amp`` path segment or ``.amp`` suffix, an ``amp`` leading segment,
    ``?amp``/``?outputType=amp``) and a trailing slash folded. Two URLs with the same key
    are taken for the same article when matching feed entries; ids still come from the
    canonical URL.
    """
    parts = urlsplit(canonical_url(url))
    segments = [segment for segment in parts.path.split("/") if segment]
    if segments and segments[-1] == "amp":
        segments.pop()
    elif segments and segments[0] == "amp":
        segments.pop(0)
    if segments and segments[-1].endswith(".amp"):
        segments[-1] = segments[-1].removesuffix(".amp")
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if k.lower() not in AMP_PARAMETERS]
    )  # fmt: skip
    port = f":{parts.port}" if parts.port else ""
    path = "/" + "/".join(segments)
    return f"{site_host(parts.geturl())}{port}{path}" + (f"?{query}" if query else "")

"""One page template per outlet, each with the markup habits of a different kind of newsroom.

They differ where real sites differ and where extractors stumble: metadata (full JSON-LD,
JSON-LD without a body, microdata, OpenGraph only, nothing but visible text), date formats
and time zones, bylines, and the boilerplate around the story (cookie banners, tickers,
related links, share buttons, newsletter and subscription prompts, comments).

The templates of outlets whose pages are also served under a second URL (24 News Desk on
the syndication host, Northbridge Post's print views) carry no ``rel=canonical`` and no
``og:url``: those copies must be identical byte for byte yet name no original.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from worker.simweb.catalog import section_label
from worker.simweb.model import Article, Outlet


@dataclass(frozen=True)
class Page:
    article: Article
    outlet: Outlet
    url: str
    """The page's clean URL on the simulated web."""
    home: str
    """The outlet's home page URL, ending in a slash."""
    related: tuple[tuple[str, str], ...]
    """Title and URL of other stories by the same outlet."""

    @property
    def section(self) -> str:
        return section_label(self.article.section)


AGENCY_NAMES = {
    "AFP": "Agence France-Presse",
    "AP": "The Associated Press",
    "Reuters": "Reuters",
    "dpa": "Deutsche Presse-Agentur",
}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _json_ld(data: dict[str, object]) -> str:
    # "</" inside a script element would end it early, whatever the JSON says.
    payload = json.dumps(data, ensure_ascii=False, indent=2).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{payload}\n</script>'


def _names(authors: tuple[str, ...], conjunction: str = "and") -> str:
    if len(authors) <= 1:
        return "".join(authors)
    return f"{', '.join(authors[:-1])} {conjunction} {authors[-1]}"


def _byline(article: Article) -> str:
    """Who the page says wrote the story: the authors, or the agency when there are none."""
    if article.authors:
        return _names(article.authors)
    return AGENCY_NAMES.get(article.agency or "", article.agency or "")


def _paragraphs(article: Article, attributes: str = "") -> str:
    return "\n".join(f"<p{attributes}>{_e(text)}</p>" for text in article.paragraphs)


def _links(related: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f'<li><a href="{_e(url)}">{_e(title)}</a></li>' for title, url in related)


def _share(url: str, title: str) -> dict[str, str]:
    target, text = quote(url, safe=""), quote(title, safe="")
    return {
        "Facebook": f"https://www.facebook.com/sharer/sharer.php?u={target}",
        "X": f"https://x.com/intent/post?url={target}&text={text}",
        "WhatsApp": f"https://wa.me/?text={text}%20{target}",
        "LinkedIn": f"https://www.linkedin.com/sharing/share-offsite/?url={target}",
        "Email": f"mailto:?subject={text}&body={target}",
    }


def _nav(home: str, sections: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(
        f'<li><a href="{_e(home)}{path}">{_e(label)}</a></li>' for path, label in sections
    )


_LONG_DATES = {
    "en": "{day} {month} {year}",
    "de": "{day}. {month} {year}",
    "fr": "{day} {month} {year}",
    "es": "{day} de {month} de {year}",
}


def _long_date(moment: datetime, language: str) -> str:
    month = _MONTHS[language].split()[moment.month - 1]
    return _LONG_DATES[language].format(day=moment.day, month=month, year=moment.year)


def _news_article(page: Page, *, body: bool, language: str | None = None) -> dict[str, object]:
    article = page.article
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": page.url},
        "headline": article.title,
        "datePublished": article.published.isoformat(),
        "dateModified": article.last_modified.isoformat(),
        "author": [{"@type": "Person", "name": name} for name in article.authors]
        or [{"@type": "Organization", "name": _byline(article)}],
        "publisher": {"@type": "Organization", "name": page.outlet.name, "url": page.home},
        "articleSection": page.section,
        "description": article.summary,
    }
    if language:
        data["inLanguage"] = language
    if body:
        data["articleBody"] = "\n\n".join(article.paragraphs)
    return data


def harbour_gazette(page: Page) -> str:
    """A British broadsheet: full JSON-LD with articleBody, OpenGraph, canonical."""
    a, home = page.article, page.home
    published = a.published
    stamp = f"{published:%a} {published.day} {published:%b %Y %H.%M} GMT"
    credit = (
        f'<p class="hg-credit">Source: {_e(AGENCY_NAMES.get(a.agency, a.agency))}</p>'
        if a.agency
        else ""
    )
    share = "\n".join(
        f'<li><a class="hg-share__{name.lower()}" href="{_e(link)}">Share on {name}</a></li>'
        for name, link in _share(page.url, a.title).items()
    )
    sections = (
        ("uk-news", "UK"),
        ("world", "World"),
        ("business", "Business"),
        ("football", "Football"),
        ("science", "Science"),
        ("culture", "Culture"),
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB" class="no-js">
<head>
<meta charset="utf-8">
<title>{_e(a.title)} | {_e(page.section)} | The Harbour Gazette</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{_e(a.summary)}">
<link rel="canonical" href="{_e(page.url)}">
<meta property="og:type" content="article">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:description" content="{_e(a.summary)}">
<meta property="og:url" content="{_e(page.url)}">
<meta property="og:site_name" content="The Harbour Gazette">
<meta property="article:published_time" content="{a.published.isoformat()}">
<meta property="article:modified_time" content="{a.last_modified.isoformat()}">
<meta property="article:section" content="{_e(page.section)}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@harbourgazette">
<style>.hg-consent{{position:fixed;bottom:0}}.hg-headline{{font-family:Georgia,serif}}</style>
{_json_ld(_news_article(page, body=True))}
</head>
<body class="hg-article-page">
<div id="cookie-consent" class="hg-consent" role="dialog" aria-label="Your privacy">
<p>We use cookies to improve your experience on our site and to show you relevant
advertising. To find out more, read our <a href="{home}info/privacy">privacy policy</a>.</p>
<button class="hg-consent__accept">Yes, I'm happy</button>
<button class="hg-consent__manage">Manage my cookies</button>
</div>
<header class="hg-masthead">
<a class="hg-skip" href="#maincontent">Skip to main content</a>
<p class="hg-support">Support the Gazette: <a href="{home}contribute">Fund independent
journalism from just £2 a month</a></p>
<a class="hg-logo" href="{home}">The Harbour Gazette</a>
<nav class="hg-nav" aria-label="Sections">
<ul>
{_nav(home, sections)}
</ul>
</nav>
</header>
<main id="maincontent">
<nav class="hg-breadcrumb" aria-label="Breadcrumb"><a href="{home}">Home</a> &rsaquo;
<a href="{home}{a.section}">{_e(page.section)}</a></nav>
<article class="hg-article">
<header class="hg-article__header">
<h1 class="hg-headline">{_e(a.title)}</h1>
<div class="hg-meta">
<address class="hg-byline">{_e(_byline(a))}</address>
<time class="hg-dateline" datetime="{a.published.isoformat()}">{stamp}</time>
</div>
</header>
<div class="hg-article__body">
{_paragraphs(a)}
</div>
{credit}
<ul class="hg-share" aria-label="Share this article">
{share}
</ul>
</article>
<aside class="hg-related" aria-labelledby="related-heading">
<h2 id="related-heading">Related articles</h2>
<ul>
{_links(page.related)}
</ul>
</aside>
<section class="hg-newsletter">
<h2>Sign up to First Edition</h2>
<p>Our morning email breaks down the key stories of the day, telling you what's happening
and why it matters.</p>
<form action="{home}newsletters/first-edition" method="post">
<label>Email address <input type="email" name="email" required></label>
<button type="submit">Sign up</button>
</form>
<p class="hg-newsletter__small">Newsletters may contain info about charities, online ads, and
content funded by outside parties.</p>
</section>
</main>
<footer class="hg-footer">
<ul>
<li><a href="{home}about">About us</a></li>
<li><a href="{home}help/contact-us">Contact us</a></li>
<li><a href="{home}info/complaints-and-corrections">Complaints &amp; corrections</a></li>
<li><a href="{home}info/terms">Terms &amp; conditions</a></li>
</ul>
<p>&copy; 2026 Harbour Gazette Media Group. All rights reserved.</p>
</footer>
</body>
</html>
"""


def newsdesk_24(page: Page) -> str:
    """An aggregator in Pakistan, as in the seed document: no ``lang``, no metadata beyond a
    description, the story between "Click the Title above ..." and "View More News"."""
    a, home = page.article, page.home
    credit = a.agency or _names(a.authors)
    sections = (
        ("category/pakistan", "Pakistan"),
        ("category/world", "World"),
        ("category/business", "Business"),
        ("category/sports", "Sports"),
        ("category/entertainment", "Entertainment"),
    )
    ticker = " | ".join(_e(title) for title, _ in page.related)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(a.title)} - 24 News Desk</title>
<meta name="description" content="{_e(a.summary)}">
<meta name="keywords" content="24 news, latest news, {_e(a.section)}, breaking news">
</head>
<body class="single-post">
<div class="topbar">
<div class="container">
<span class="today">{a.published:%A, %B} {a.published.day}, {a.published.year}</span>
<a href="{home}epaper">E-Paper</a> | <a href="{home}live">Live TV</a> |
<a href="{home}urdu">اردو</a></div>
</div>
<div class="header">
<div class="container">
<a class="logo" href="{home}">24 NEWS DESK</a>
<ul class="menu">
<li><a href="{home}">Home</a></li>
{_nav(home, sections)}
</ul>
</div>
</div>
<div class="breaking-ticker"><strong>Breaking News:</strong> <span>{ticker}</span></div>
<div class="container">
<div class="row">
<div class="col-md-8">
<div class="post">
<h1 class="post-title"><a href="{_e(page.url)}">{_e(a.title)}</a></h1>

<p class="post-note"><em>*Click the Title above to view complete article on https://{page.outlet.host}/.</em></p>

<p class="post-meta">{a.published.isoformat()} {_e(credit)}</p>

<div class="post-content">
{_paragraphs(a)}
</div>

<p class="view-more"><a href="{home}">View More News</a></p>
</div>
</div>
<div class="col-md-4 sidebar">
<div class="widget trending">
<h3 class="widget-title">Trending</h3>
<ul>
{_links(page.related)}
</ul>
</div>
<div class="widget ad-slot"><span>Advertisement</span></div>
<div class="widget follow"><h3 class="widget-title">Follow Us</h3>
<a href="https://www.facebook.com/24newsdesk">Facebook</a>
<a href="https://x.com/24newsdesk">Twitter</a>
<a href="https://www.youtube.com/@24newsdesk">YouTube</a></div>
</div>
</div>
</div>
<div class="footer">
<p>Copyright &copy; 2026 24 News Desk. All rights reserved. |
<a href="{home}privacy-policy">Privacy Policy</a> | <a href="{home}contact-us">Contact Us</a></p>
</div>
</body>
</html>
"""


def meridian_times(page: Page) -> str:
    """An American metro daily: OpenGraph and article meta tags only, a visible dateline in
    Eastern time, advertisements between paragraphs and a subscription prompt."""
    a, home = page.article, page.home
    moment = a.published
    hour = moment.hour % 12 or 12
    meridiem = "a.m." if moment.hour < 12 else "p.m."
    stamp = f"{moment:%b}. {moment.day}, {moment.year}, {hour}:{moment:%M} {meridiem} ET"
    agency = f" | {AGENCY_NAMES[a.agency]}" if a.agency and a.authors else ""
    paragraphs = list(a.paragraphs)
    body = []
    for index, text in enumerate(paragraphs, start=1):
        body.append(f'<div class="story-paragraph"><p>{_e(text)}</p></div>')
        if index % 3 == 0 and index < len(paragraphs):
            body.append('<div class="ad-slot" aria-hidden="true">Advertisement</div>')
    sections = (
        ("us", "U.S."),
        ("world", "World"),
        ("politics", "Politics"),
        ("business", "Business"),
        ("sports", "Sports"),
        ("science", "Science"),
        ("weather", "Weather"),
        ("culture", "Arts"),
    )
    authors = "".join(
        f'<meta property="article:author" content="{_e(name)}">\n' for name in a.authors
    )
    body_html = "\n".join(body)
    return f"""<!doctype html>
<html lang="en-US">
<head>
<meta charset="utf-8">
<title>{_e(a.title)} - The Meridian Times</title>
<link rel="canonical" href="{_e(page.url)}">
<meta name="description" content="{_e(a.summary)}">
<meta name="byl" content="By {_e(_byline(a))}">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:type" content="article">
<meta property="og:url" content="{_e(page.url)}">
<meta property="og:description" content="{_e(a.summary)}">
<meta property="og:site_name" content="The Meridian Times">
<meta property="article:published_time" content="{a.published.isoformat()}">
<meta property="article:modified_time" content="{a.last_modified.isoformat()}">
<meta property="article:section" content="{_e(page.section)}">
{authors}<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<a class="skip-link" href="#site-content">Skip to content</a>
<header class="site-header">
<button class="menu-toggle" aria-label="Sections">&#9776;</button>
<a class="masthead" href="{home}">The Meridian Times</a>
<a class="subscribe-button" href="{home}subscription">Subscribe for $1/week</a>
<a class="login-link" href="{home}login">Log in</a>
<nav class="section-nav"><ul>
{_nav(home, sections)}
</ul></nav>
</header>
<main id="site-content">
<article id="story" class="story">
<div class="story-header">
<p class="story-kicker"><a href="{home}{a.section}">{_e(page.section)}</a></p>
<h1 class="story-headline" data-testid="headline">{_e(a.title)}</h1>
<div class="story-meta">
<p class="byline">By <span class="byline-name">{_e(_byline(a))}</span>{_e(agency)}</p>
<p class="timestamp">Published {stamp}</p>
</div>
</div>
<section class="story-body" name="articleBody">
{body_html}
</section>
<div class="story-footer">
<p class="correction-note">A version of this article appears in print in the New York
edition of The Meridian Times.</p>
</div>
</article>
<section class="read-more">
<h2>Read more</h2>
<ul>
{_links(page.related)}
</ul>
</section>
<div class="paywall-prompt">
<h2>Thank you for reading The Meridian Times.</h2>
<p>Subscribe now to get unlimited access to our journalism, games, recipes and more.</p>
<a class="button" href="{home}subscription">Subscribe</a>
</div>
</main>
<footer class="site-footer">
<p>&copy; 2026 The Meridian Times Company</p>
<nav><a href="{home}privacy">Privacy Policy</a> <a href="{home}terms">Terms of Service</a>
<a href="{home}privacy/cookie-settings">Cookie Settings</a> <a href="{home}help">Help</a></nav>
</footer>
</body>
</html>
"""


def northbridge_post(page: Page) -> str:
    """A Canadian broadcaster's news site: nothing but visible bylines and ``<time>``
    elements, a comments section, and no canonical link (its print views are exact copies)."""
    a, home = page.article, page.home

    def stamp(moment: datetime) -> str:
        hour = moment.hour % 12 or 12
        return f"{moment:%b} {moment.day}, {moment.year} {hour}:{moment:%M} {moment:%p} ET"

    updated = (
        f' | Last Updated: <time class="timeStamp" datetime="{a.modified.isoformat()}">'
        f"{stamp(a.modified)}</time>"
        if a.modified
        else ""
    )
    credits = [f'<span class="authorText">{_e(_names(a.authors))}</span>'] if a.authors else []
    if a.agency:
        credits.append(f'<span class="bylineSource">{_e(a.agency)}</span>')
    sections = (
        ("news/canada", "Canada"),
        ("news/world", "World"),
        ("news/business", "Business"),
        ("news/sports", "Sports"),
        ("news/science", "Science"),
        ("news/arts", "Arts"),
    )
    return f"""<!DOCTYPE html>
<html lang="en-CA">
<head>
<meta charset="utf-8">
<title>{_e(a.title)} | Northbridge Post News</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<div id="app">
<header class="site-header">
<a class="logo" href="{home}">Northbridge Post</a>
<nav class="primary-nav"><ul>
{_nav(home, sections)}
</ul></nav>
<a class="sign-in" href="{home}account/signin">Sign In</a>
</header>
<div class="layout">
<main id="content">
<div class="headline-block">
<a class="sectionLink" href="{home}news/{a.section}">{_e(page.section)}</a>
<h1 class="detailHeadline">{_e(a.title)}</h1>
</div>
<div class="bylineDetails">
{" · ".join(credits)}
<div class="timeStamps">Posted: <time class="timeStamp" datetime="{a.published.isoformat()}">
{stamp(a.published)}</time>{updated}</div>
</div>
<div class="story">
{_paragraphs(a)}
</div>
<div class="similarStories">
<h2 class="similarStoriesTitle">Related Stories</h2>
<ul>
{_links(page.related)}
</ul>
</div>
<div class="comments-closed">
<h2>Comments</h2>
<p>Commenting is now closed for this story.</p>
<p>Audience Relations, Northbridge Post: <a href="{home}help/contact">Contact us</a></p>
</div>
</main>
<aside class="sidebar">
<h2>Top Stories</h2>
<ol>
{_links(page.related)}
</ol>
</aside>
</div>
<footer class="site-footer">
<p>&copy;2026 Northbridge Post Media. All rights reserved.</p>
<ul><li><a href="{home}accessibility">Accessibility</a></li>
<li><a href="{home}privacy">Privacy</a></li><li><a href="{home}terms">Terms of Use</a></li></ul>
</footer>
</div>
</body>
</html>
"""


def pacific_ledger(page: Page) -> str:
    """An Australian masthead on a React front end: ``data-testid`` attributes everywhere,
    JSON-LD without articleBody, dates in Australian summer time."""
    a, home = page.article, page.home
    moment = a.published
    hour = moment.hour % 12 or 12
    meridiem = "am" if moment.hour < 12 else "pm"
    stamp = f"{_long_date(moment, 'en')} — {hour}.{moment:%M}{meridiem}"
    credit = f" with {AGENCY_NAMES[a.agency]}" if a.agency and a.authors else ""
    share = "\n".join(
        f'<a data-testid="share-{name.lower()}" href="{_e(link)}">{name}</a>'
        for name, link in _share(page.url, a.title).items()
    )
    sections = (
        ("national", "National"),
        ("world", "World"),
        ("business", "Business"),
        ("property", "Property"),
        ("sport", "Sport"),
        ("culture", "Culture"),
    )
    return f"""<!DOCTYPE html>
<html lang="en-AU">
<head>
<meta charset="UTF-8">
<title>{_e(a.title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="canonical" href="{_e(page.url)}">
<meta name="description" content="{_e(a.summary)}">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:description" content="{_e(a.summary)}">
<meta property="og:url" content="{_e(page.url)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="The Pacific Ledger">
<meta name="twitter:card" content="summary_large_image">
{_json_ld(_news_article(page, body=False))}
</head>
<body>
<div id="__next">
<div data-testid="cookie-banner" class="x7Qa1">We use cookies to give you a better experience.
<button data-testid="cookie-accept">Accept</button></div>
<header data-testid="header" class="_3Kp2x">
<a data-testid="logo" href="{home}">The Pacific Ledger</a>
<nav data-testid="nav"><ul>
{_nav(home, sections)}
</ul></nav>
<a data-testid="subscribe" href="{home}subscribe">Subscribe</a>
</header>
<main>
<article data-testid="article" class="_1YkDf">
<header>
<span data-testid="section-label">{_e(page.section)}</span>
<h1 data-testid="headline" class="_2Pa4x">{_e(a.title)}</h1>
<div data-testid="byline" class="_3Bz1q">
<span data-testid="author-name">{_e(_byline(a))}</span>{_e(credit)}
</div>
<div data-testid="timestamp"><time datetime="{a.published.isoformat()}">{stamp}</time></div>
<div data-testid="share-bar"><span>Share</span>
{share}
</div>
</header>
<div data-testid="body-content" class="_1665V">
{_paragraphs(a, ' class="_3XHqf"')}
</div>
<p data-testid="license"><a href="{home}licensing">License this article</a></p>
</article>
<aside data-testid="most-viewed"><h3>Most Viewed in {_e(page.section)}</h3>
<ol>
{_links(page.related)}
</ol>
</aside>
<section data-testid="newsletter-signup">
<h3>Get the Morning Edition newsletter</h3>
<p>The day's most important news, delivered to your inbox before 7am.</p>
<a href="{home}newsletters">Sign up</a>
</section>
</main>
<footer data-testid="footer">
<p>Copyright &copy; 2026 Pacific Ledger Media Pty Ltd</p>
<a href="{home}privacy">Privacy policy</a> <a href="{home}conditions">Conditions of use</a>
</footer>
</div>
</body>
</html>
"""


def rheinkurier(page: Page) -> str:
    """A German regional paper: full JSON-LD, a Dachzeile (kicker) above the headline, a
    cookie wall and a "Mehr zum Thema" block."""
    a, home = page.article, page.home
    stamp = f"{a.published:%d.%m.%Y, %H.%M} Uhr"
    source = f'<p class="article-source">Quelle: {_e(a.agency)}</p>' if a.agency else ""
    author = f'<p class="author">Von {_e(_names(a.authors, "und"))}</p>' if a.authors else ""
    sections = (
        ("politik", "Politik"),
        ("wirtschaft", "Wirtschaft"),
        ("panorama", "Panorama"),
        ("sport", "Sport"),
        ("wissen", "Wissen"),
        ("kultur", "Kultur"),
    )
    share = "\n".join(
        f'<li><a href="{_e(link)}" title="Auf {name} teilen">{name}</a></li>'
        for name, link in _share(page.url, a.title).items()
    )
    return f"""<!DOCTYPE html>
<html lang="de-DE">
<head>
<meta charset="utf-8">
<title>{_e(a.title)} - Rheinkurier</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{_e(a.summary)}">
<link rel="canonical" href="{_e(page.url)}">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:url" content="{_e(page.url)}">
<meta property="og:type" content="article">
<meta property="og:locale" content="de_DE">
<meta property="og:site_name" content="Rheinkurier">
{_json_ld(_news_article(page, body=True, language="de"))}
</head>
<body class="page-article">
<div class="cmp-wall" id="cmp">
<h2>Wir verwenden Cookies</h2>
<p>Wir und unsere Partner verarbeiten personenbezogene Daten, um Inhalte und Werbung zu
personalisieren. Sie können Ihre Einwilligung jederzeit widerrufen.</p>
<button class="cmp-accept">Alle akzeptieren</button>
<button class="cmp-settings">Einstellungen</button>
<a href="{home}pur">Werbefrei lesen mit Kurier PUR</a>
</div>
<header class="site-header">
<a class="brand" href="{home}">Rheinkurier</a>
<nav class="main-nav"><ul>
{_nav(home, sections)}
</ul></nav>
</header>
<main>
<article class="article">
<header class="article-header">
<p class="kicker">{_e(page.section)}</p>
<h1><span class="headline">{_e(a.title)}</span></h1>
{author}
<time class="date" datetime="{a.published.isoformat()}">{stamp}</time>
</header>
<div class="article-text">
{_paragraphs(a)}
</div>
{source}
<ul class="share-buttons" aria-label="Artikel teilen">
{share}
</ul>
</article>
<section class="mehr-zum-thema">
<h2>Mehr zum Thema</h2>
<ul>
{_links(page.related)}
</ul>
</section>
<section class="newsletter-box">
<h2>Der Kurier am Morgen</h2>
<p>Die wichtigsten Nachrichten des Tages, jeden Morgen um 6 Uhr in Ihrem Postfach.</p>
<form action="{home}newsletter" method="post"><input type="email" name="email"
placeholder="Ihre E-Mail-Adresse"><button>Jetzt anmelden</button></form>
</section>
</main>
<footer class="site-footer">
<ul>
<li><a href="{home}impressum">Impressum</a></li>
<li><a href="{home}datenschutz">Datenschutz</a></li>
<li><a href="{home}agb">AGB</a></li>
<li><a href="{home}kontakt">Kontakt</a></li>
</ul>
<p>&copy; Rheinkurier Verlag GmbH 2026</p>
</footer>
</body>
</html>
"""


def alpenrundschau(page: Page) -> str:
    """An Austrian paper with schema.org microdata instead of JSON-LD, a weather widget, a
    poll and a forum ("Postings") under the story."""
    a, home = page.article, page.home
    stamp = f"{_long_date(a.published, 'de')}, {a.published:%H:%M}"
    byline = _names(a.authors, "und") if a.authors else (a.agency or "")
    sections = (
        ("chronik", "Chronik"),
        ("politik", "Politik"),
        ("wirtschaft", "Wirtschaft"),
        ("wien", "Wien"),
        ("sport", "Sport"),
        ("kultur", "Kultur"),
    )
    return f"""<!DOCTYPE html>
<html lang="de-AT">
<head>
<meta charset="utf-8">
<title>{_e(a.title)} | Alpenrundschau</title>
<meta name="description" content="{_e(a.summary)}">
<link rel="canonical" href="{_e(page.url)}">
<meta name="viewport" content="width=device-width">
</head>
<body>
<div class="page">
<div class="header-top">
<span class="weather-widget">Wien 4 °C, bewölkt</span>
<a href="{home}abo">Abo</a> <a href="{home}epaper">ePaper</a> <a href="{home}login">Anmelden</a>
</div>
<header class="header-main">
<a class="logo" href="{home}">Alpenrundschau</a>
<nav><ul class="ressorts">
{_nav(home, sections)}
</ul></nav>
</header>
<div class="content-wrapper">
<div class="article-detail" itemscope itemtype="https://schema.org/NewsArticle">
<meta itemprop="dateModified" content="{a.last_modified.isoformat()}">
<span class="topline">{_e(page.section)}</span>
<h1 itemprop="headline">{_e(a.title)}</h1>
<div class="article-meta">von
<span itemprop="author" itemscope itemtype="https://schema.org/Person">
<span itemprop="name">{_e(byline)}</span></span>,
<time itemprop="datePublished" datetime="{a.published.isoformat()}">{stamp}</time></div>
<div class="article-body" itemprop="articleBody">
{_paragraphs(a)}
</div>
</div>
<div class="poll">
<h3>Umfrage</h3>
<p>Wie informieren Sie sich über das Wetter?</p>
<ul><li><label><input type="radio" name="poll"> App</label></li>
<li><label><input type="radio" name="poll"> Radio</label></li>
<li><label><input type="radio" name="poll"> Zeitung</label></li></ul>
</div>
<div class="more-articles">
<h3>Das könnte Sie auch interessieren</h3>
<ul>
{_links(page.related)}
</ul>
</div>
<div class="postings">
<h3>Postings</h3>
<p>Um mitzudiskutieren, melden Sie sich bitte an. Es gelten unsere
<a href="{home}forenregeln">Forenregeln</a>.</p>
</div>
</div>
<footer>
<p>&copy; Alpenrundschau Medien GmbH &amp; Co KG, Wien</p>
<p><a href="{home}impressum">Impressum &amp; Offenlegung</a> &middot;
<a href="{home}datenschutz">Datenschutz</a> &middot;
<a href="{home}barrierefreiheit">Barrierefreiheit</a></p>
</footer>
</div>
</body>
</html>
"""


_SEELAND_TEXT = {
    "de": {
        "by": "Von",
        "at": "Uhr",
        "related": "Mehr aus der Region",
        "newsletter": "Der Seeland Courrier am Abend: jetzt abonnieren",
        "subscribe": "Abonnieren",
        "other": ("fr", "Français"),
    },
    "fr": {
        "by": "Par",
        "at": "h",
        "related": "Plus de la région",
        "newsletter": "Le Courrier du soir : abonnez-vous",
        "subscribe": "S'abonner",
        "other": ("de", "Deutsch"),
    },
}


def seeland_courrier(page: Page) -> str:
    """A bilingual Swiss paper (German and French) built on BEM classes: JSON-LD without a
    body, ``inLanguage``, and a language switch in the header."""
    a, home = page.article, page.home
    text = _SEELAND_TEXT[a.language]
    other_code, other_label = text["other"]
    if a.language == "fr":
        stamp = f"{a.published:%d.%m.%Y} à {a.published:%H}h{a.published:%M}"
    else:
        stamp = f"{a.published:%d.%m.%Y, %H:%M} Uhr"
    authors = "\n".join(f'<li class="c-article__author">{_e(name)}</li>' for name in a.authors)
    agency = (
        f'<li class="c-article__author c-article__author--agency">{_e(a.agency)}</li>'
        if a.agency
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{a.language}-CH">
<head>
<meta charset="utf-8">
<title>{_e(a.title)} | Seeland Courrier</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{_e(a.summary)}">
<link rel="canonical" href="{_e(page.url)}">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:url" content="{_e(page.url)}">
<meta property="og:locale" content="{a.language}_CH">
{_json_ld(_news_article(page, body=False, language=f"{a.language}-CH"))}
</head>
<body class="t-article">
<header class="c-header">
<a class="c-header__logo" href="{home}{a.language}/">Seeland Courrier</a>
<ul class="c-header__languages">
<li class="is-active">{a.language.upper()}</li>
<li><a href="{home}{other_code}/" hreflang="{other_code}">{other_label}</a></li>
</ul>
</header>
<div class="l-grid">
<article class="c-article">
<p class="c-article__overline">{_e(page.section)}</p>
<h1 class="c-article__title">{_e(a.title)}</h1>
<ul class="c-article__authors"><li>{text["by"]}</li>
{authors}{agency}
</ul>
<div class="c-article__date"><time datetime="{a.published.isoformat()}">{stamp}</time></div>
<div class="c-article__content">
{_paragraphs(a, ' class="c-article__paragraph"')}
</div>
</article>
<aside class="c-related">
<h2 class="c-related__title">{text["related"]}</h2>
<ul class="c-related__list">
{_links(page.related)}
</ul>
</aside>
<div class="c-newsletter"><p>{text["newsletter"]}</p>
<a class="c-button" href="{home}{a.language}/newsletter">{text["subscribe"]}</a></div>
</div>
<footer class="c-footer">
<p>&copy; 2026 Seeland Courrier AG, Biel/Bienne</p>
</footer>
</body>
</html>
"""


def le_messager(page: Page) -> str:
    """A French national daily: OpenGraph and article meta tags, a chapô-less layout, a
    "Sur le même sujet" block and a subscription teaser."""
    a, home = page.article, page.home

    def stamp(moment: datetime) -> str:
        return f"{_long_date(moment, 'fr')} à {moment:%H}h{moment:%M}"

    updated = (
        f'<span class="article__date-update">Mis à jour le {stamp(a.modified)}</span>'
        if a.modified
        else ""
    )
    authors = _names(a.authors, "et") if a.authors else (a.agency or "")
    sections = (
        ("politique", "Politique"),
        ("economie", "Économie"),
        ("international", "International"),
        ("sport", "Sport"),
        ("sciences", "Sciences"),
        ("culture", "Culture"),
    )
    share = "\n".join(
        f'<a class="share__{name.lower()}" href="{_e(link)}">Partager sur {name}</a>'
        for name, link in _share(page.url, a.title).items()
    )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="UTF-8">
<title>{_e(a.title)}</title>
<meta name="description" content="{_e(a.summary)}">
<link rel="canonical" href="{_e(page.url)}">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:description" content="{_e(a.summary)}">
<meta property="og:url" content="{_e(page.url)}">
<meta property="og:type" content="article">
<meta property="og:locale" content="fr_FR">
<meta property="og:site_name" content="Le Messager">
<meta property="article:published_time" content="{a.published.isoformat()}">
<meta property="article:modified_time" content="{a.last_modified.isoformat()}">
<meta property="article:author" content="{_e(authors)}">
<meta property="article:section" content="{_e(page.section)}">
</head>
<body>
<div class="bandeau-cookies">
<p>Nous utilisons des cookies pour vous offrir la meilleure expérience sur notre site.
<a href="{home}confidentialite">En savoir plus</a></p>
<button>Accepter et fermer</button> <button>Continuer sans accepter</button>
</div>
<header class="Header">
<a class="Header__logo" href="{home}">Le Messager</a>
<nav class="Header__nav"><ul>
{_nav(home, sections)}
</ul></nav>
<a class="Header__abo" href="{home}abonnement">S'abonner</a>
</header>
<main class="zone--article">
<section class="article">
<h1 class="article__title">{_e(a.title)}</h1>
<div class="article__meta">
<span class="article__authors">Par <span class="article__author">{_e(authors)}</span></span>
<span class="article__date">Publié le {stamp(a.published)}</span>
{updated}
</div>
<div class="article__content">
{_paragraphs(a, ' class="article__paragraph"')}
</div>
<div class="article__share">
{share}
</div>
</section>
<section class="article__related">
<h2>Sur le même sujet</h2>
<ul>
{_links(page.related)}
</ul>
</section>
<div class="teaser-abo">
<p>Cet article vous a plu ? Soutenez une information indépendante :
<a href="{home}abonnement">abonnez-vous dès 1 € le premier mois</a>.</p>
</div>
<div class="newsletter">
<p>Recevez chaque matin l'essentiel de l'actualité.</p>
<a href="{home}newsletters">Je m'inscris</a>
</div>
</main>
<footer class="Footer">
<a href="{home}mentions-legales">Mentions légales</a> -
<a href="{home}cgv">CGV</a> - <a href="{home}confidentialite">Politique de confidentialité</a>
<p>&copy; Le Messager 2026 - Tous droits réservés</p>
</footer>
</body>
</html>
"""


def diario_del_plata(page: Page) -> str:
    """An Argentine daily: JSON-LD with articleBody, a "volanta" kicker, tags and the
    "Notas relacionadas" block; dates in Buenos Aires time."""
    a, home = page.article, page.home
    stamp = f"{_long_date(a.published, 'es')} · {a.published:%H:%M}"
    authors = _names(a.authors, "y") if a.authors else (a.agency or "")
    author_slug = quote(authors.lower().replace(" ", "-"))
    sections = (
        ("politica", "Política"),
        ("economia", "Economía"),
        ("mundo", "El Mundo"),
        ("sociedad", "Sociedad"),
        ("deportes", "Deportes"),
        ("ciencia", "Ciencia"),
        ("cultura", "Cultura"),
    )
    share = "\n".join(
        f'<a class="compartir__{name.lower()}" href="{_e(link)}">{name}</a>'
        for name, link in _share(page.url, a.title).items()
    )
    return f"""<!DOCTYPE html>
<html lang="es-AR">
<head>
<meta charset="utf-8">
<title>{_e(a.title)} - Diario del Plata</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{_e(a.summary)}">
<link rel="canonical" href="{_e(page.url)}">
<meta property="og:title" content="{_e(a.title)}">
<meta property="og:url" content="{_e(page.url)}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="Diario del Plata">
{_json_ld(_news_article(page, body=True, language="es"))}
</head>
<body>
<div class="ultimo-momento"><strong>Último momento</strong>
<ul>
{_links(page.related[:2])}
</ul>
</div>
<header class="header">
<a class="header__logo" href="{home}">Diario del Plata</a>
<nav class="header__menu"><ul>
{_nav(home, sections)}
</ul></nav>
<a class="header__suscribite" href="{home}suscripciones">Suscribite</a>
</header>
<main>
<article class="nota">
<div class="nota__volanta">{_e(page.section)}</div>
<h1 class="nota__titulo">{_e(a.title)}</h1>
<div class="nota__autor">Por <a href="{home}autor/{author_slug}">{_e(authors)}</a></div>
<div class="nota__fecha"><time datetime="{a.published.isoformat()}">{stamp}</time></div>
<div class="nota__compartir">Compartir:
{share}
</div>
<div class="nota__cuerpo">
{_paragraphs(a, ' class="com-paragraph"')}
</div>
<div class="nota__tags">Temas: <a href="{home}tema/{a.section}">{_e(page.section)}</a></div>
</article>
<section class="notas-relacionadas">
<h2>Notas relacionadas</h2>
<ul>
{_links(page.related)}
</ul>
</section>
<section class="newsletter">
<h2>Newsletter Diario del Plata</h2>
<p>Recibí las noticias más importantes del día en tu correo.</p>
<a href="{home}newsletters">Quiero recibirlo</a>
</section>
</main>
<footer class="footer">
<p>Copyright 2026 Diario del Plata S.A. | Todos los derechos reservados</p>
<a href="{home}terminos">Términos y condiciones</a> | <a href="{home}privacidad">Privacidad</a>
</footer>
</body>
</html>
"""


TEMPLATES: dict[str, Callable[[Page], str]] = {
    "harbourgazette": harbour_gazette,
    "newsdesk24": newsdesk_24,
    "meridiantimes": meridian_times,
    "northbridgepost": northbridge_post,
    "pacificledger": pacific_ledger,
    "rheinkurier": rheinkurier,
    "alpenrundschau": alpenrundschau,
    "seelandcourrier": seeland_courrier,
    "lemessager": le_messager,
    "diariodelplata": diario_del_plata,
}


def render_page(page: Page) -> str:
    template = page.outlet.template
    if template is None:
        raise ValueError(f"simweb: {page.outlet.host} has no template of its own")
    return TEMPLATES[template](page)

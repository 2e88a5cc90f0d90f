"""What is on the page but not the story: lines removed from an extracted body.

Two kinds. Site-level boilerplate is learnt: a line that recurs on many pages of one host
("*Click the Title above to view complete article on ...", "View More News") is that host's
furniture, whatever it says. The pipeline counts, per host, the pages each short line was
seen on (:func:`line_keys` gives the keys) and passes the recurring ones back in; this module
only compares. The other kind is the same on every site. Some of it is recognised by its
shape in trafilatura's body element, before it is rendered to text: headlines that are links
to other pages, cards for other stories. The rest by its wording (:data:`LINE_RULES`): share
and newsletter prompts, promotions, calls to read the story on another site, "Related" and
"Read more" blocks, photo, staff and source credits, contact lines, lone dates and
timestamps, licence notices, comment prompts, the headline repeated. And a short line that is
no sentence goes when a stricter extraction of the same page left it out
(:func:`without_unconfirmed_furniture`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import urlsplit

from lxml.etree import _Element

# Boilerplate lines are short; a line longer than this is story, however often it recurs
# (a wire story republished twice by one outlet must not lose its paragraphs).
MAX_BOILERPLATE_WORDS = 25
# A prompt or credit says its piece in a few words; a longer line that starts the same way
# ("Follow the money, investigators say ...") is story.
MAX_PROMPT_WORDS = 30
# A promotion or a licence notice runs to two or three sentences around its call to action
# ("... Sign up for the free daily newsletter."); a paragraph longer than this is story.
MAX_PROMO_WORDS = 60

# A block this much made of link text is a link, whatever words stand around it ("[VIDEO]").
LINK_TEASER_SHARE = 0.8
# Two or three linked headlines run into one paragraph: a box of teasers, not a paragraph.
MAX_TEASERS_WORDS = 60

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u2019\u201d)\]]*\s*$")
_STORY_LINE_END = re.compile(
    r"[.!?:\u2026\u3002\uff01\uff1f\uff1a][\"'\u2019\u201c\u201d)\]\u00bb\u00ab\u300d]*\s*$"
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"'\u2019\u201d)\]]*\s+")

# Lines that invite the reader elsewhere (share, follow, subscribe, download, comment) and
# the messages of the page's widgets ("An error has occurred, please try again later.").
_PROMPT = re.compile(
    r"""^\W*(?:
        (?:click|tap)\s+here\b
      | share\s+(?:this|on|via)\b | like\s+this\s+story
      | follow\s+(?:us|@|\w+\s+on\s+(?:twitter|facebook|instagram|x)\b)
      | (?:subscribe|sign\s+up)\b.{0,80}\b(?:newsletters?|inbox|updates|today)\b
      | get\s+the\s+.{0,60}\b(?:newsletter|app|delivered)\b
      | (?:download|get)\s+(?:our|the)\s+.{0,30}\bapp\b
      | get\s+.{0,60}\bdelivered\s+(?:to|through|straight)\b
      | use\s+(?:the\s+)?(?:promo\s+|coupon\s+|discount\s+)?code\b
      | (?:subscribe|sign\s+in|log\s*in)\s+to\s+(?:continue|keep)\s+reading
      | already\s+a\s+subscriber
      | also\s+on\s+[\w-]+\.[a-z]{2,}\b
      | tell\s+us\s+what\s+you\s+think | join\s+the\s+(?:discussion|conversation)
      | (?:order|print)\s+(?:reprints|article|this\s+article)\s*$
      | (?:newsletter|jetzt\s+abonnieren|abonnez-vous|suscr[ií]bete)\b
      | (?:teilen|partager|compartir)\s*(?:auf|sur|en)?\s*:?\s*$
      | (?:\d+\s+)?(?:comments?|kommentare?|commentaires?|coment[aá]rios?|commenti)\W*$
      | (?:an\s+)?error\s+(?:has\s+)?occurred | please\s+try\s+again
      | (?:leave|add|post|write|show|view|load)\s+(?:a\s+|the\s+|all\s+)?(?:comments?|reply)\W*$
    )""",
    re.I | re.X,
)
# A call to go elsewhere for the story, which aggregators and syndicated copies put above or
# below it: "*Click the Title above to view complete article on https://24newshd.tv/.",
# "Read the full story at example.com", "This article originally appeared on ...", "View More
# News". Boilerplate on a host's first page too, before its recurring lines are learnt.
_SITE_CALL_TO_ACTION = re.compile(
    r"""^\W*(?:
        (?:click|tap)\b.{0,60}\b(?:view|read|see)\b.{0,40}\b(?:article|story|report|post)\b
      | (?:read|view|see|continue\s+reading)\s+(?:the\s+)?(?:full|complete|whole|original
          |entire|rest\s+of\s+the)\s+(?:article|story|report|post)\s+(?:on|at)\b
      | (?:this\s+(?:article|story|post)\s+)?(?:was\s+)?(?:originally|first)\s+
          (?:published|appeared|posted)\s+(?:on|at)\s+(?:https?://|www\.|[\w-]+\.[a-z]{2,}\b)
      | (?:view|see|read)\s+more\s+(?:news|stories|articles)\W*$
    )""",
    re.I | re.X,
)
# A heading that opens a block of links to other stories; the list under it goes too.
_RELATED_HEADING = re.compile(
    r"""^\W*(?:related(?:\s+(?:stories|articles|coverage|content|links))?|see\s+also
      | more\s+(?:on\s+this\s+story|from\s+[\w\s]{1,40}|stories|news)|don'?t\s+miss
      | also\s+read|read\s+(?:also|more)|you\s+(?:may|might)\s+also\s+like|recommended
      | mehr\s+zum\s+thema|lesen\s+sie\s+auch|auch\s+interessant|[àa]\s+lire\s+aussi
      | lire\s+aussi|voir\s+aussi|lee\s+tambi[eé]n|te\s+puede\s+interesar|leggi\s+anche
      | trending|top\s+stories
      | most\s+(?:read|popular|viewed|shared)(?:\s+(?:in|on|from)\s+[\w\s.]{1,40})?
      | popular\s+(?:in|on|from)\s+[\w\s.]{1,40})\W*$""",
    re.I | re.X,
)
# One line that links to one other story: "Related: ...", "Read more: ...", "SEE MORE: ...".
_RELATED_LINE = re.compile(
    r"""^\W*(?:related(?:\s+(?:posts?|stories|story|articles?|links?|reading))?|read\s+more|see\s+more|more|also\s+(?:read|on\s+[\w.]+)|see\s+also
      | lesen\s+sie\s+auch|mehr\s+dazu|lire\s+aussi|[àa]\s+lire\s+aussi|lee\s+tambi[eé]n
      | leggi\s+anche)\s*[:\u2013\u2014-]""",
    re.I | re.X,
)
_LIST_ITEM = re.compile(r"^\s*(?:[-\u2013\u2022*\u25cf\u25aa]|\d+\.)\s+")
# Photo credits standing alone: "Photo: Jane Doe/Reuters", "(AP Photo/Evan Vucci)",
# "Image credit: NASA", "Foto: dpa", "© Inexhibit, 2018", "Getty Images".
_PHOTO_CREDIT = re.compile(
    r"""^\W*(?:
        (?:photo|photograph|picture|image|foto|bild|illustration|cr[eé]dit|credits?|quelle
          |crédit\s+photo|photos?)\s*(?:credit|:|by|\u00a9|/)
      | \(?(?:AP|AFP|Reuters|EPA|dpa)\s+(?:photo|foto)\b
      | \u00a9 | \(c\)\s
    )
    | (?:/\s*|\(\s*|^\W*)(?:getty\s+images|shutterstock|istock(?:photo)?|ap\s+photo
      |afp\s+photo|reuters|epa(?:-efe)?|imago|picture\s+alliance|dpa)\)?\.?\s*$""",
    re.I | re.X,
)
# "Write to Al Root at allen.root@dowjones.com", "Email Tariq Malik at ... or follow him",
# "Reach the reporters on Twitter at http://twitter.com/...".
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|\bfollow\s+(?:him|her|them|us)\s+on\b"
    r"|^\W*(?:reach|contact|e-?mail|write\s+to)\b.{0,80}\bat\s+(?:https?://|www\.|@\w)",
    re.I,
)
# A line that is only a date, and perhaps a time: "October 12, 2017", "20.11.2019 11:28",
# "Tuesday, 19 November 2019 - 11:28 AMT". The page's stamp again.
_DATE_ONLY = re.compile(
    r"""^\W*(?:[^\W\d_]{3,10}\.?,?\s+)?
      (?:\d{1,2}(?:st|nd|rd|th)?\.?\s+[^\W\d_]{3,10}\.?,?\s+\d{4}
      | [^\W\d_]{3,10}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}
      | \d{4}-\d\d-\d\d | \d{1,2}[./]\d{1,2}[./]\d{2,4})
      (?:\W{0,3}(?:at\s+|um\s+|à\s+)?\d{1,2}[:.h]\d\d(?:\s*[ap]\.?m\.?)?(?:\s+[^\W\d_]{2,5})?)?\W*$""",
    re.I | re.X,
)
# A machine timestamp standing alone, perhaps with the wire credited after it:
# "2024-06-22T01:28:04+05:00 AFP".
_TIMESTAMP_LINE = re.compile(
    r"^\W*\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?"
    r"(?:\s+[A-Z][A-Za-z]{1,7}(?:/[A-Z][A-Za-z]{1,7})*)?\W*$"
)
# Who reported, wrote or edited it, and the source credited under the story: "(Reporting by
# X; Editing by Y)", "Additional reporting by X", "X contributed reporting.", "SOURCE: AFP".
_STAFF_CREDIT = re.compile(
    r"""^\W*(?:(?:additional\s+|with\s+)?reporting\s+by|(?:writing|editing|edited|compiled)\s+by
      | contributing\s*:|sources?\s*:)
    | \bcontributed\s+(?:reporting|to\s+this\s+(?:report|story|article))\b""",
    re.I | re.X,
)
# The page's licence notice: "Copyright ©2019 Dow Jones & Company, Inc. All Rights Reserved",
# "This copy is for your personal, non-commercial use only."
_RIGHTS = re.compile(
    r"^\W*(?:copyright|\(c\)\s)|\ball\s+rights\s+reserved\b"
    r"|\bfor\s+(?:your\s+)?personal,?\s+non-commercial\s+use\b",
    re.I,
)


def site_key(url: str) -> str:
    """Whose furniture a page carries: its host, ``www.`` aside.

    A page on a loopback address is the simulated web, which serves each outlet under its
    host as the first path segment (``http://127.0.0.1:8080/<host>/<path>``): that outlet.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if loopback:
        first_segment = parts.path.lstrip("/").split("/", 1)[0].lower()
        if "." in first_segment:
            host = first_segment
    return host.removeprefix("www.")


def line_key(line: str) -> str:
    """A short, stable key for a line, blind to case, spacing and punctuation."""
    return hashlib.blake2b(_folded(line).encode("utf-8"), digest_size=8).hexdigest()


def line_keys(blocks: Iterable[str]) -> tuple[str, ...]:
    """The keys of the lines short enough to be boilerplate, each once: what a host learns."""
    keys = (line_key(block) for block in blocks if _is_short(block, MAX_BOILERPLATE_WORDS))
    return tuple(dict.fromkeys(keys))


def clean_body(
    blocks: Sequence[str], headlines: Iterable[str] = (), disabled: frozenset[str] = frozenset()
) -> list[str]:
    """The blocks that are story: without the lines any of :data:`LINE_RULES` (those not
    ``disabled``) recognises, nor the page's ``headlines`` repeated above the story, nor the
    list under a related-stories heading."""
    headline_keys = {_folded(headline) for headline in headlines} - {""}
    rules = [(name, rule) for name, rule in LINE_RULES if name not in disabled]
    kept: list[str] = []
    in_related_block = False
    for block in blocks:
        if not kept and _folded(block) in headline_keys and HEADLINE_REPEATED not in disabled:
            continue
        if in_related_block and _LIST_ITEM.match(block):
            continue
        words = _word_count(block)
        matched = next((name for name, rule in rules if rule(block, words)), None)
        # A related-stories heading, or a "Related: headline" line, often heads a list of
        # more headlines.
        in_related_block = matched in (RELATED_HEADING, RELATED_LINE)
        if matched is None:
            kept.append(block)
    return kept


def remove_link_teasers(body: _Element) -> None:
    """Remove from trafilatura's body element (links kept as ``<ref>``) the teasers for other
    pages: blocks and list items that are one link reading as a headline, set between the
    story's paragraphs ("SEAN SPICER ELIMINATED FROM 'DANCING WITH THE STARS'") or listed
    under it, and lists of cards that each open with a linked headline ("Pochettino fired by
    Tottenham / He took the club to the final in June"). A linked sentence (a footnote,
    "Visit our homepage for more stories.") stays."""
    for block in list(body):
        if block.tag == "list" and _is_card_list(block):
            body.remove(block)
            continue
        for element in list(block.iter("item")) if block.tag == "list" else [block]:
            parent = element.getparent()
            if parent is not None and _is_link_teaser(element):
                parent.remove(element)
        if block.tag == "list" and block.find("item") is None:
            body.remove(block)


def without_unconfirmed_furniture(blocks: Sequence[str], confirming: Sequence[str]) -> list[str]:
    """The lines of ``blocks`` that ``confirming`` (a stricter extraction of the same page:
    trafilatura's precision focus) has too, or that read as story whatever it judged.

    What the recall focus keeps and the precision focus drops, where it is no sentence, is
    the page's furniture: section labels, captions, teaser headlines, metadata lists ("Datum
    28.04.2023", "Permalink https://p.dw.com/p/4QgGF"). A sentence it drops is as often a
    paragraph of the story it missed (measured: ``docs/extraction.md``), and stays.
    """
    confirmed = f" {' '.join(map(_folded, confirming))} "
    kept = []
    for block in blocks:
        lines = [
            line
            for line in block.split("\n")
            if _reads_as_story(line) or f" {_folded(line)} " in confirmed
        ]
        if lines:
            kept.append("\n".join(lines))
    return kept


def _reads_as_story(line: str) -> bool:
    """A line that ends as a sentence does (or as the line introducing a quotation or a
    list), or is too long for furniture."""
    return _word_count(line) > MAX_BOILERPLATE_WORDS or bool(_STORY_LINE_END.search(line))


def without_recurring(blocks: Sequence[str], recurring: frozenset[str]) -> list[str]:
    """The blocks without the lines that recur across the host's pages."""
    if not recurring:
        return list(blocks)
    return [
        block
        for block in blocks
        if not (_is_short(block, MAX_BOILERPLATE_WORDS) and line_key(block) in recurring)
    ]


def _is_promotion(block: str, words: int) -> bool:
    """A licence notice, or a paragraph one of whose sentences is a call to action."""
    return words <= MAX_PROMO_WORDS and bool(
        _RIGHTS.search(block)
        or any(_PROMPT.match(sentence) for sentence in _SENTENCE_BREAK.split(block))
    )


def _short_match(pattern: re.Pattern[str], limit: int = MAX_PROMPT_WORDS) -> LineRule:
    return lambda block, words: words <= limit and bool(pattern.match(block))


def _short_search(pattern: re.Pattern[str], limit: int = MAX_PROMPT_WORDS) -> LineRule:
    return lambda block, words: words <= limit and bool(pattern.search(block))


LineRule = Callable[[str, int], bool]
HEADLINE_REPEATED = "headline_repeated"
RELATED_HEADING = "related_heading"
RELATED_LINE = "related_line"
# The line rules of :func:`clean_body`, in the order they are tried, each by its name (the
# name the extraction benchmark's ablation switches it off by). Each takes a block and its
# word count.
LINE_RULES: tuple[tuple[str, LineRule], ...] = (
    (RELATED_HEADING, _short_match(_RELATED_HEADING)),
    ("site_call_to_action", _short_match(_SITE_CALL_TO_ACTION)),
    (RELATED_LINE, _short_match(_RELATED_LINE)),
    ("contact", _short_search(_CONTACT)),
    ("staff_credit", _short_search(_STAFF_CREDIT)),
    ("photo_credit", _short_search(_PHOTO_CREDIT, 15)),
    (
        "date_only",
        lambda block, words: (
            words <= MAX_PROMPT_WORDS
            and bool(_DATE_ONLY.match(block) or _TIMESTAMP_LINE.match(block))
        ),
    ),
    ("promotion", _is_promotion),
)
LINE_RULE_NAMES = (HEADLINE_REPEATED, *(name for name, _ in LINE_RULES))


def _folded(line: str) -> str:
    return " ".join(_WORD.findall(line.casefold()))


def _is_short(block: str, words: int) -> bool:
    return _word_count(block) <= words


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def _is_card_list(block: _Element) -> bool:
    items = block.findall("item")
    return len(items) > 1 and all(
        _opens_with_link(item) and not _SENTENCE_END.search("".join(item.itertext()))
        for item in items
    )


def _opens_with_link(element: _Element) -> bool:
    """Whether the element's first words are a link's."""
    parts: list[str] = []

    def reaches_link(node: _Element) -> bool:
        if node.tag == "ref":
            return True
        parts.append(node.text or "")
        for child in node:
            if reaches_link(child):
                return True
            parts.append(child.tail or "")
        return False

    return reaches_link(element) and not _WORD.search("".join(parts))


def _is_link_teaser(element: _Element) -> bool:
    text = "".join(element.itertext())
    words = _word_count(text)
    if not words or words > MAX_TEASERS_WORDS or _SENTENCE_END.search(text):
        return False
    linked = sum(_word_count("".join(link.itertext())) for link in element.iter("ref"))
    return linked >= LINK_TEASER_SHARE * words

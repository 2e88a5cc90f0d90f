"""Whether the body we extracted is the whole story: the truncated and paywalled flags.

A body is *truncated* when the page itself says there is more: its JSON-LD ``wordCount`` is
far larger than what we got, the body ends on a "Read more" link or an
ellipsis (a teaser), or it is shorter than the page's own description. It is *paywalled*
when the page declares the article not free (``isAccessibleForFree: false``, a locked
content tier) or tells the reader to subscribe to go on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Below this share of the words the page declares, the body is not the whole story. Outlets
# count words differently (captions, the headline), hence the slack.
MIN_SHARE_OF_DECLARED_WORDS = 0.6

_WORD = re.compile(r"\w+")
_READ_MORE = re.compile(
    r"""^\W*(?:read\s+(?:more|the\s+(?:full|rest|whole)\b.*)|continue\s+reading\b.*
      | (?:see|view)\s+(?:full|complete)\s+(?:article|story)|full\s+(?:article|story)
      | weiterlesen|mehr\s+lesen|lire\s+la\s+suite|leer\s+m[aá]s|seguir\s+leyendo
      | continua\s+a\s+leggere|leggi\s+tutto)\W*$""",
    re.I | re.X,
)
_ELLIPSIS_END = re.compile(r"(?:\.\.\.|\u2026)\s*(?:\[?\s*(?:more|mehr|plus|m[aá]s)\s*\]?)?$", re.I)
_PAYWALL_PROMPT = re.compile(
    r"""(?:subscribe|subscription|log\s*in|sign\s+in)\s+to\s+(?:continue|keep|read)
      | (?:this|the)\s+(?:article|story|content)\s+is\s+(?:only\s+)?(?:for|available\s+to)
        \s+(?:subscribers|members|premium)
      | already\s+a\s+subscriber | exclusive\s+(?:to|for)\s+subscribers
      | (?:um|zum)\s+weiterlesen | nur\s+f[uü]r\s+abonnenten | abo\s+abschlie[sß]en
      | r[eé]serv[eé]\s+aux\s+abonn[eé]s | la\s+suite\s+est\s+r[eé]serv[eé]e
      | exclusivo\s+para\s+(?:suscriptores|abonados)""",
    re.I | re.X,
)
_LOCKED_TIERS = {"locked", "premium", "paid", "subscriber", "subscribers"}
# A paywall prompt stands at the end of what a visitor without access sees.
_PAYWALL_PROMPT_REACH = 3


def is_truncated(
    blocks: Sequence[str],
    *,
    declared_words: int | None,
    description: str | None,
) -> bool:
    words = sum(len(_WORD.findall(block)) for block in blocks)
    if declared_words and words < MIN_SHARE_OF_DECLARED_WORDS * declared_words:
        return True
    if blocks and (_READ_MORE.match(blocks[-1]) or _ELLIPSIS_END.search(blocks[-1])):
        return True
    return bool(description) and words < len(_WORD.findall(description or ""))


def is_paywalled(
    blocks: Sequence[str], *, accessible_for_free: Sequence[str], content_tiers: Sequence[str]
) -> bool:
    if any(value.strip().lower() in ("false", "no", "0") for value in accessible_for_free):
        return True
    if any(tier.strip().lower() in _LOCKED_TIERS for tier in content_tiers):
        return True
    return any(_PAYWALL_PROMPT.search(block) for block in blocks[-_PAYWALL_PROMPT_REACH:])

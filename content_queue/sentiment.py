"""How warm a reply is: VADER's lexicon score, offline, with a few Spanish words added.

VADER (vaderSentiment) is an English lexicon and rule model tuned for short social text, so it
fits replies well and needs no network or model download. Many centers serve Spanish speakers
too; a short supplement gives the common words of thanks and praise their weight, so a
"¡Gracias por todo!" is surfaced with the English thank-yous instead of sinking as "neutral".
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

#: VADER's own cut-offs for the compound score.
POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05

LABELS = ("positive", "neutral", "negative")

#: Spanish words (accents removed, lower case) with valences on VADER's -4..4 scale.
SPANISH_LEXICON = {
    "gracias": 2.0, "agradecido": 2.2, "agradecida": 2.2, "agradecidos": 2.2,
    "agradezco": 2.2, "agradecemos": 2.2, "excelente": 3.0, "increible": 2.5,
    "heroes": 2.3, "heroe": 2.3, "heroina": 2.3, "orgullo": 2.1, "orgullosos": 2.1,
    "orgullosa": 2.1, "orgulloso": 2.1, "bendiciones": 2.0, "bendiga": 2.0, "felicidades": 2.6,
    "felices": 2.4, "feliz": 2.4, "maravilloso": 2.9, "maravillosa": 2.9, "amable": 1.9,
    "amables": 1.9, "calma": 1.2, "tranquilo": 1.2, "tranquila": 1.2, "salvaron": 2.0,
    "salvo": 1.8, "bueno": 1.9, "buena": 1.9, "buen": 1.9, "genial": 2.6, "mejor": 2.0,
    "gran": 1.6, "apoyo": 1.5, "valientes": 2.0, "ayudaron": 1.6,
    "malo": -2.5, "mala": -2.5, "terrible": -2.5, "horrible": -2.5, "nadie": -0.8,
    "tarde": -0.6, "verguenza": -2.3, "peor": -2.3, "triste": -2.1, "enojado": -2.3,
    "enojada": -2.3, "miedo": -2.0, "groseros": -2.3, "grosero": -2.3,
}


def _fold(text: str) -> str:
    """Without accents: "¡Gracias, héroes!" and "gracias heroes" score alike (VADER folds case)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(SPANISH_LEXICON)
    return analyzer


def score(text: str) -> float:
    """VADER's compound score in [-1, 1]."""
    return float(_analyzer().polarity_scores(_fold(text))["compound"])


def label(compound: float | None) -> str:
    """"positive", "neutral" or "negative" (None, not scored yet, reads as neutral)."""
    if compound is None:
        return "neutral"
    if compound >= POSITIVE_AT:
        return "positive"
    if compound <= NEGATIVE_AT:
        return "negative"
    return "neutral"

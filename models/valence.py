"""Word valence from VADER's sentiment lexicon, a toxicity signal that needs no training data.

Our labelled toxicity data is a few tens of thousands of comments, so a hostile word the data
never shows next to a toxic label ("despicable", "pathetic", "disgrace") scores as neutral.
VADER's lexicon (Hutto & Gilbert 2014, MIT licence, shipped in the ``vaderSentiment`` package)
rates 7,500 words from -4 to +4 by human judgement; the toxicity model sums it per comment.

The lexicon is read when a model is trained and copied into the artifact (``TextShape``), so
scoring never needs the package, and a model keeps the lexicon it was trained with.
"""

from __future__ import annotations

import hashlib
from importlib import metadata, resources

__all__ = ["LEXICON_PACKAGE", "load_valence", "valence_source"]

LEXICON_PACKAGE = "vaderSentiment"
_LEXICON_FILE = "vader_lexicon.txt"


def _lexicon_bytes() -> bytes:
    try:
        return resources.files(LEXICON_PACKAGE).joinpath(_LEXICON_FILE).read_bytes()
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            f"training the toxicity model needs the {LEXICON_PACKAGE} package for its word "
            f"valence lexicon: pip install {LEXICON_PACKAGE}"
        ) from exc


def load_valence() -> dict[str, float]:
    """Lower-cased word -> mean human valence rating (-4 very negative .. +4 very positive).

    Entries that are not a single word of letters (emoticons such as ``:-(``) are skipped: the
    tokeniser splits punctuation into single characters, so they could never match.
    """
    out: dict[str, float] = {}
    for line in _lexicon_bytes().decode("utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) < 2:
            continue
        word = fields[0].strip().lower()
        if word.replace("'", "").isalpha():
            out[word] = float(fields[1])
    return dict(sorted(out.items()))


def valence_source() -> tuple[str, str]:
    """(name, sha256) of the lexicon file, for the model metadata's data sources."""
    version = metadata.version(LEXICON_PACKAGE)
    digest = hashlib.sha256(_lexicon_bytes()).hexdigest()
    return f"{LEXICON_PACKAGE}-{version}/{_LEXICON_FILE}", digest

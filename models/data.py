"""Loaders for the public labelled data sets (layout of ``../shared/data``, see its README.md).

Each loader returns ``LabelledExample`` rows with the data set's labels mapped onto our attributes.
A label a data set does not speak about is left out of ``labels`` (unknown), never guessed as 0:
the per-attribute classifiers train only on rows where their label is known. Mapping choices are
listed in :data:`LABEL_MAPPING` and copied into the model card.

Loaders skip a data set whose folder is missing, so a partial data folder (or the tiny fixture
folder of the tests) still trains.
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from models.normalize import extract_links, normalize
from models.types import TOXICITY_LABELS, LabelledExample

__all__ = [
    "EVAL_ONLY",
    "LABEL_MAPPING",
    "DataSources",
    "fold_of",
    "load_bias_eval",
    "load_bias_templates",
    "load_linking_comments",
    "load_olid_test",
    "load_spam",
    "load_toxicity",
    "sha256_file",
    "split_of",
    "text_key",
]

csv.field_size_limit(sys.maxsize)

EVAL_ONLY = ("olid test split", "conversationai-bias-eval")

LABEL_MAPPING: dict[str, str] = {
    "youtube-spam-collection": "spam = CLASS; group = video (file)",
    "sms-spam-collection": "spam = (label == 'spam')",
    "wiki-talk-context-toxicity (spam)": (
        "comments with a link in the text (as the spam model finds links) are spam = 0, source "
        "wiki_links: talk-page discussion citing sources, the legitimate linking comments that "
        "YouTube and SMS lack (9 of their 5,438 ham rows have a link)"
    ),
    "olid": (
        "toxicity = A OFF; insult = C IND (0 for NOT and B UNT, unknown for GRP/OTH); "
        "identity_attack = C GRP (0 for NOT/IND/UNT, unknown for OTH); profanity = B UNT "
        "(0 for NOT, unknown for TIN); threat, severe_toxicity = 0 only for NOT"
    ),
    "davidson-hate-offensive": (
        "toxicity = class hate or offensive; identity_attack = class hate (0 otherwise); "
        "profanity = class offensive (0 for neither, unknown for hate); severe_toxicity = hate "
        "with every annotator voting hate (0 for neither and offensive); insult, threat = 0 "
        "only for neither"
    ),
    "toxic-spans-civil-comments": (
        "posts whose span annotators did not mostly tick 'not toxic': toxicity = 1; insult, "
        "profanity (Profane/Obscene), threat, identity_attack = 1 when >= 2 raters marked that "
        "type, 0 when none did, unknown when one did; severe_toxicity = 1 for a threat or an "
        "identity attack combined with profanity, 0 when only insults were marked"
    ),
    "mlma-hate-speech": (
        "pure 'normal' tweets: all labels 0; otherwise toxicity = 1 and identity_attack = 1 for "
        "'hateful' tweets aimed at origin/gender/sexual orientation/religion/disability"
    ),
    "wiki-talk-context-toxicity": (
        "toxicity = label (gn.csv and gc.csv), label_oc for cat_small.csv (judged without the "
        "parent comment, as the model sees it); all other labels 0 when toxicity is 0, unknown "
        "when 1. cat_small.csv (13% toxic) is its own source, wiki_cat, so the false-positive "
        "rate stays measured on the natural-base-rate files alone"
    ),
}


# CAT_LARGE's two files (label judged without / with the parent comment), then CAT_SMALL
_WIKI_FILES = ("data_CAT_LARGE_gn.csv", "data_CAT_LARGE_gc.csv", "data_CAT_SMALL_cat_small.csv")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def text_key(text: str) -> str:
    """The form under which two texts count as the same comment (case and spacing folded)."""
    return " ".join(text.lower().split())


def _digest(text: str) -> bytes:
    return hashlib.sha256(text_key(text).encode("utf-8")).digest()


def split_of(text: str) -> str:
    """Deterministic 80/10/10 train/val/test split by content hash.

    Identical texts land in the same split, so duplicates cannot leak between train and test.
    """
    bucket = int.from_bytes(_digest(text)[:4], "big") % 20
    if bucket < 16:
        return "train"
    return "val" if bucket < 18 else "test"


def fold_of(text: str, folds: int) -> int:
    """Deterministic fold for cross-fitting, from other hash bytes than :func:`split_of`, so
    every fold holds rows of all three splits."""
    return int.from_bytes(_digest(text)[4:8], "big") % folds


@dataclass
class DataSources:
    """Files read during training, with sha256, for the model metadata."""

    root: Path
    files: dict[str, str]

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = {}

    def use(self, path: Path) -> Path:
        self.files[str(path.relative_to(self.root))] = sha256_file(path)
        return path


def _rows(path: Path, **kwargs: object) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, **kwargs)  # type: ignore[call-overload]


def _dedupe(rows: Iterable[LabelledExample]) -> list[LabelledExample]:
    """First occurrence of each (source, text) wins; sorted so input order does not matter."""
    seen: set[tuple[str, str]] = set()
    out = []
    for ex in sorted(rows, key=lambda e: (e.source, e.group, e.text, sorted(e.labels.items()))):
        key = (ex.source, ex.text)
        if ex.text.strip() and key not in seen:
            seen.add(key)
            out.append(ex)
    return out


def load_spam(root: Path, sources: DataSources | None = None) -> list[LabelledExample]:
    """YouTube comments (grouped by video) and SMS messages labelled spam/ham, and wiki-talk
    comments that link somewhere as ham."""
    src = sources or DataSources(root)
    out: list[LabelledExample] = []
    yt = root / "youtube-spam-collection"
    if yt.is_dir():
        for path in sorted(yt.glob("*.csv")):
            for row in _rows(src.use(path)):
                out.append(
                    LabelledExample(
                        text=row["CONTENT"],
                        labels={"spam": int(row["CLASS"])},
                        source="youtube",
                        group=path.stem,
                        author_name=row.get("AUTHOR") or "",
                    )
                )
    sms = root / "sms-spam-collection" / "SMSSpamCollection"
    if sms.is_file():
        with src.use(sms).open(encoding="utf-8", newline="") as fh:
            for line in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                if len(line) >= 2:
                    spam = int(line[0].strip() == "spam")
                    out.append(LabelledExample(line[1], {"spam": spam}, source="sms"))
    wiki = root / "wiki-talk-context-toxicity"
    for name in _WIKI_FILES:
        if (wiki / name).is_file():
            for row in _rows(src.use(wiki / name)):
                if _has_link(row["text"]):
                    out.append(LabelledExample(row["text"], {"spam": 0}, source="wiki_links"))
    return _dedupe(out)


def _has_link(text: str) -> bool:
    return bool(extract_links(normalize(text)))


def load_linking_comments(root: Path, sources: DataSources | None = None) -> list[LabelledExample]:
    """Civil Comments posts with a link, spam = 0 (evaluation only for the spam model).

    Published news-site comments that cite a link, the nearest thing in the data to a blog
    reader linking a source: how many of them the spam model would hold is its false-positive
    rate on linking comments. The toxicity model trains on these posts; the spam model never does.
    """
    src = sources or DataSources(root)
    path = root / "toxic-spans-civil-comments" / "data_comments.csv"
    if not path.is_file():
        return []
    rows = (row["comment_text"] for row in _rows(src.use(path)))
    return _dedupe(
        LabelledExample(t, {"spam": 0}, source="civil_links") for t in rows if _has_link(t)
    )


def _zeros(**overrides: int) -> dict[str, int]:
    labels = dict.fromkeys(TOXICITY_LABELS, 0)
    labels.update(overrides)
    return labels


def _olid_labels(a: str, b: str, c: str) -> dict[str, int]:
    if a == "NOT":
        return _zeros()
    labels = {"toxicity": 1}
    if b == "UNT":
        labels.update(insult=0, identity_attack=0, profanity=1)
    elif c == "IND":
        labels.update(insult=1, identity_attack=0)
    elif c == "GRP":
        labels.update(identity_attack=1)
    return labels


def load_toxicity(root: Path, sources: DataSources | None = None) -> list[LabelledExample]:
    """All toxicity training sets (never the OLID test split or the bias evaluation set)."""
    src = sources or DataSources(root)
    out: list[LabelledExample] = []
    olid = root / "olid" / "olid-training-v1.0.tsv"
    if olid.is_file():
        for row in _rows(src.use(olid), delimiter="\t", quoting=csv.QUOTE_NONE):
            labels = _olid_labels(row["subtask_a"], row["subtask_b"], row["subtask_c"])
            out.append(LabelledExample(row["tweet"], labels, source="olid"))
    dav = root / "davidson-hate-offensive" / "labeled_data.csv"
    if dav.is_file():
        for row in _rows(src.use(dav)):
            cls = int(row["class"])
            if cls == 2:
                labels = _zeros()
            elif cls == 1:
                labels = {"toxicity": 1, "identity_attack": 0, "profanity": 1, "severe_toxicity": 0}
            else:
                strong = int(row["hate_speech"]) == int(row["count"])
                labels = {"toxicity": 1, "identity_attack": 1}
                if strong:
                    labels["severe_toxicity"] = 1
            out.append(LabelledExample(row["tweet"], labels, source="davidson"))
    out.extend(_load_toxic_spans(root, src))
    mlma = root / "mlma-hate-speech" / "hate_speech_mlma" / "en_dataset_with_stop_words.csv"
    if mlma.is_file():
        groups = {"origin", "gender", "sexual_orientation", "religion", "disability"}
        for row in _rows(src.use(mlma)):
            kinds = set(row["sentiment"].split("_"))
            if kinds == {"normal"}:
                labels = _zeros()
            else:
                labels = {"toxicity": 1}
                if "hateful" in kinds and row["target"] in groups:
                    labels["identity_attack"] = 1
            out.append(LabelledExample(row["tweet"], labels, source="mlma"))
    wiki = root / "wiki-talk-context-toxicity"
    for name in _WIKI_FILES[:2]:
        path = wiki / name
        if path.is_file():
            for row in _rows(src.use(path)):
                toxic = int(row["label"])
                labels = {"toxicity": 1} if toxic else _zeros()
                out.append(LabelledExample(row["text"], labels, source="wiki"))
    cat_small = wiki / _WIKI_FILES[2]
    if cat_small.is_file():
        for row in _rows(src.use(cat_small)):
            labels = {"toxicity": 1} if int(row["label_oc"]) else _zeros()
            out.append(LabelledExample(row["text"], labels, source="wiki_cat"))
    return _dedupe(out)


def _load_toxic_spans(root: Path, src: DataSources) -> list[LabelledExample]:
    folder = root / "toxic-spans-civil-comments"
    comments_path = folder / "data_comments.csv"
    if not comments_path.is_file():
        return []
    texts = {row["comment_id"]: row["comment_text"] for row in _rows(src.use(comments_path))}
    raters: dict[str, int] = {}
    not_toxic: dict[str, int] = {}
    annotation_post: dict[str, str] = {}
    for row in _rows(src.use(folder / "data_annotations.csv")):
        cid = row["comment_id"]
        annotation_post[row["annotation"]] = cid
        raters[cid] = raters.get(cid, 0) + 1
        not_toxic[cid] = not_toxic.get(cid, 0) + (row["not toxic"] == "True")
    type_names = {
        "Insult": "insult",
        "Profane/Obscene": "profanity",
        "Identity based Attack": "identity_attack",
        "Threat": "threat",
        "Other Toxicity": "other",
    }
    marks: dict[tuple[str, str], set[str]] = {}
    for row in _rows(src.use(folder / "data_spans.csv")):
        kind = type_names.get(row["type"])
        post = annotation_post.get(row["annotation"])
        if kind and post:
            marks.setdefault((post, kind), set()).add(row["annotation"])
    out = []
    for cid, text in texts.items():
        if 2 * not_toxic.get(cid, 0) > raters.get(cid, 0):
            continue  # span annotators mostly disagreed that the post is toxic
        labels = {"toxicity": 1}
        votes = {lab: len(marks.get((cid, lab), ())) for lab in type_names.values()}
        for lab in ("insult", "profanity", "identity_attack", "threat"):
            if votes[lab] >= 2:
                labels[lab] = 1
            elif votes[lab] == 0:
                labels[lab] = 0
        if votes["threat"] >= 2 or (votes["identity_attack"] >= 2 and votes["profanity"] >= 2):
            labels["severe_toxicity"] = 1
        elif votes["insult"] and not any(votes[k] for k in votes if k != "insult"):
            labels["severe_toxicity"] = 0
        out.append(LabelledExample(text, labels, source="toxic_spans"))
    return out


def load_olid_test(root: Path, sources: DataSources | None = None) -> list[LabelledExample]:
    """OLID test split, label A (evaluation only)."""
    src = sources or DataSources(root)
    tweets = root / "olid" / "testset-levela.tsv"
    labels_path = root / "olid" / "labels-levela.csv"
    if not (tweets.is_file() and labels_path.is_file()):
        return []
    with src.use(labels_path).open(encoding="utf-8", newline="") as fh:
        gold = {row[0]: row[1] for row in csv.reader(fh) if len(row) == 2}
    out = []
    for row in _rows(src.use(tweets), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row["id"] in gold:
            out.append(
                LabelledExample(
                    row["tweet"], {"toxicity": int(gold[row["id"]] == "OFF")}, "olid_test"
                )
            )
    return out


def load_bias_eval(
    root: Path, sources: DataSources | None = None
) -> dict[str, list[LabelledExample]]:
    """conversationai-bias-eval: ``{"plain": [...], "swapped": [...]}`` (evaluation only)."""
    src = sources or DataSources(root)
    folder = root / "conversationai-bias-eval"
    out: dict[str, list[LabelledExample]] = {}
    for key, name in (
        ("plain", "toxicity_nonfuzzed_testset.csv"),
        ("swapped", "toxicity_fuzzed_testset.csv"),
    ):
        path = folder / name
        if path.is_file():
            out[key] = [
                LabelledExample(row["comment"], {"toxicity": int(row["toxic"] == "True")}, key)
                for row in _rows(src.use(path))
            ]
    return out


def load_bias_templates(root: Path, sources: DataSources | None = None) -> list[LabelledExample]:
    """conversationai-bias-eval's sentence templates (evaluation only), ``group`` = identity.

    The identities are the ones the templates themselves name in "I am <identity>"; each
    sentence's group is the longest of them it contains ("african american" before
    "american"), "" for the occupation templates, which name none.
    """
    src = sources or DataSources(root)
    path = root / "conversationai-bias-eval" / "en_sentence_templates.csv"
    if not path.is_file():
        return []
    rows = list(_rows(src.use(path)))
    identities = sorted(
        {
            r["phrase"][len("I am ") :].lower()
            for r in rows
            if r["template"] == "am_hate_adj" and r["phrase"].startswith("I am ")
        },
        key=lambda t: (-len(t), t),
    )
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, identities)) + r")\b")
    out = []
    for r in rows:
        found = pattern.search(r["phrase"].lower()) if identities else None
        out.append(
            LabelledExample(
                r["phrase"],
                {"toxicity": int(r["toxicity"] == "toxic")},
                "bias_templates",
                found.group(1) if found else "",
            )
        )
    return out

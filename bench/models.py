# ruff: noqa: E501, N812
"""Print every quality and speed figure of the models (issue #3).

    .venv/bin/python bench/models.py [--data DIR] [--compare] [--runs 5]

Quality: spam leave-one-video-out on YouTube and SMS test split; OLID test A; per-label AUC on
the held-out test split of every training set; wiki-talk false-positive rate at the threshold;
identity-bias gap, per-identity AUCs on the sentence templates and identity-only statements.
Speed: comments/s scoring all 7 attributes in batches (median of --runs), against a trivial
tokenising pass measured in the same run; single comment latency; RSS with both models loaded.
``--compare`` also scores the same evaluation sets with alt-profanity-check and hatesonar,
installed in their own venv (bench/.venv-compare).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from models import data as D  # noqa: E402
from models.evaluate import (  # noqa: E402
    auc,
    false_positive_rate,
    leave_one_group_out,
    subgroup_bias,
)
from models.normalize import IDENTITY_TERMS  # noqa: E402
from models.registry import ATTRIBUTES, TextInput, load_scorer  # noqa: E402
from models.report import template_bias_summary  # noqa: E402
from models.spam import build_spam_pipeline  # noqa: E402
from models.train import IDENTITY_PROBES, cross_fitted_toxicity, source_weights  # noqa: E402
from models.types import TOXICITY_LABELS  # noqa: E402
from service.schemas import PolicyConfig  # noqa: E402

COMPARE_VENV = REPO / "bench" / ".venv-compare"
COMPARE_SCRIPT = r"""
import json, sys, time
texts = [json.loads(l)["text"] for l in open(sys.argv[2], encoding="utf-8")]
if sys.argv[1] == "profanity_check":
    from profanity_check import predict_prob
    predict_prob(["warm up"])
    t = time.perf_counter(); p = [float(x) for x in predict_prob(texts)]
else:
    from hatesonar import Sonar
    sonar = Sonar(); sonar.ping("warm up")
    t = time.perf_counter(); p = []
    for x in texts:
        r = {c["class_name"]: c["confidence"] for c in sonar.ping(text=x)["classes"]}
        p.append(float(r["hate_speech"] + r["offensive_language"]))
json.dump({"p": p, "seconds": time.perf_counter() - t}, sys.stdout)
"""


def say(msg: str) -> None:
    print(msg, flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


CLEAN_RSS_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
from models.registry import TextInput, load_scorer
words = "the quick brown fox jumps over the lazy dog you idiot check out my channel".split()
items = [TextInput(" ".join(words[(i + k) % len(words)] for k in range(60))[:300] + str(i))
         for i in range(1000)]
scorer = load_scorer()
scorer.score(items)
for i in range(0, 1000, 100):
    scorer.score(items[i : i + 100])
# VmHWM, not ru_maxrss: ru_maxrss survives fork+exec and would report the parent's peak
status = dict(l.split(":", 1) for l in open("/proc/self/status"))
print(int(status["VmHWM"].split()[0]) / 1024, int(status["VmRSS"].split()[0]) / 1024)
"""


def clean_rss() -> None:
    """RSS of a fresh process that only loads the Scorer and scores 1,000 comments."""
    run = subprocess.run(
        [sys.executable, "-c", CLEAN_RSS_SCRIPT, str(REPO)], capture_output=True, text=True
    )
    if run.returncode != 0:
        say(f"  clean RSS measurement failed: {run.stderr.strip().splitlines()[-1:]}")
        return
    peak, now = (float(x) for x in run.stdout.split())
    say(
        f"  worker memory (fresh subprocess: load both models, score 1,000 comments): "
        f"peak RSS (VmHWM) {peak:.0f} MB, current RSS {now:.0f} MB  (bar < 300 MB)"
    )


def has_locale(name: str) -> bool:
    """Whether the C library knows locale ``name`` (``locale -a`` spells en_US.UTF-8 en_US.utf8)."""
    try:
        run = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    except OSError:
        return False
    want = name.lower().replace("-", "")
    return any(line.strip().lower().replace("-", "") == want for line in run.stdout.splitlines())


def eval_sets(data: Path) -> dict[str, list[D.LabelledExample]]:
    sets: dict[str, list[D.LabelledExample]] = {"olid_test_A": D.load_olid_test(data)}
    bias = D.load_bias_eval(data)
    sets.update({f"bias_{k}": v for k, v in bias.items()})
    sets["bias_templates"] = D.load_bias_templates(data)
    tox = D.load_toxicity(data)
    sets["wiki_test"] = [e for e in tox if e.source == "wiki" and D.split_of(e.text) == "test"]
    return {k: v for k, v in sets.items() if v}


def quality(
    data: Path, scorer_p: dict[str, np.ndarray], sets: dict[str, list[D.LabelledExample]], scorer
) -> None:  # type: ignore[no-untyped-def]
    thr = scorer.thresholds
    say("\n== Spam")
    spam = D.load_spam(data)
    lovo = leave_one_group_out(build_spam_pipeline, spam, "spam", "youtube", weights=source_weights)
    for g, v in lovo["per_group"].items():
        say(f"  YouTube leave-one-video-out {g}: ROC AUC {v['auc']:.4f} (n={v['n']})")
    say(
        f"  YouTube leave-one-video-out: mean ROC AUC {lovo['mean_auc']:.4f}, pooled {lovo['pooled_auc']:.4f}  (bar >= 0.98)"
    )
    test = [e for e in spam if D.split_of(e.text) == "test"]
    p = np.array([r["spam"] for r in scorer.score([e.as_input() for e in test])])
    for src in ("youtube", "sms"):
        idx = [i for i, e in enumerate(test) if e.source == src]
        y = [test[i].labels["spam"] for i in idx]
        say(f"  {src} test split: ROC AUC {auc(y, p[idx]):.4f} (n={len(y)}, spam={sum(y)})")
    linking = D.load_linking_comments(data)
    if linking:
        spam_line = PolicyConfig().spam_spam
        p = np.array([r["spam"] for r in scorer.score([e.as_input() for e in linking])])
        say(
            f"  Civil Comments posts with a link (not spam): {np.mean(p >= thr['spam']):.1%} over "
            f"the spam threshold {thr['spam']}, {np.mean(p >= spam_line):.1%} over the service's "
            f"default spam line {spam_line}, median {np.median(p):.3f} (n={len(p)})"
        )

    say("\n== Toxicity")
    olid = sets.get("olid_test_A", [])
    if olid:
        y = [e.labels["toxicity"] for e in olid]
        say(
            f"  OLID test A: ROC AUC {auc(y, scorer_p['olid_test_A'][:, 1]):.4f} (n={len(y)})  (bar >= 0.86)"
        )
    tox = [e for e in D.load_toxicity(data) if D.split_of(e.text) == "test"]
    pt = np.array([[r[a] for a in ATTRIBUTES] for r in scorer.score([e.as_input() for e in tox])])
    say("  held-out test split, per data set and label: ROC AUC (n / positives)")
    for src in sorted({e.source for e in tox}):
        parts = []
        for k, lab in enumerate(TOXICITY_LABELS, 1):
            idx = [i for i, e in enumerate(tox) if e.source == src and lab in e.labels]
            y = [tox[i].labels[lab] for i in idx]
            a = auc(y, pt[idx, k]) if idx else None
            parts.append(f"{lab} {'n/a' if a is None else f'{a:.3f}'} ({len(y)}/{sum(y)})")
        say(f"    {src}: " + ", ".join(parts))
    wiki = sets.get("wiki_test", [])
    if wiki:
        y = [e.labels["toxicity"] for e in wiki]
        fpr = false_positive_rate(y, scorer_p["wiki_test"][:, 1], thr["toxicity"])
        say(
            f"  wiki-talk test split: FPR at toxicity threshold {thr['toxicity']}: {fpr:.4f} (n={len(y)}, toxic={sum(y)})  (target <= 0.02)"
        )

    say("\n== Identity bias")
    if "bias_plain" in sets and "bias_swapped" in sets:
        a = [
            auc([e.labels["toxicity"] for e in sets[k]], scorer_p[k][:, 1])
            for k in ("bias_plain", "bias_swapped")
        ]
        say(
            f"  conversationai-bias-eval: AUC plain {a[0]:.4f}, swapped {a[1]:.4f}, gap {abs(a[0] - a[1]):.4f}  (bar <= 0.02)"
        )
    if "bias_templates" in sets:
        rows = sets["bias_templates"]
        p = scorer_p["bias_templates"][:, 1]
        say("  " + template_bias(rows, p))
        statements = [
            (scorer_p["bias_templates"][i, k] / thr[a], e.text, a)
            for i, e in enumerate(rows)
            if e.text.startswith("I am ")
            for k, a in enumerate(ATTRIBUTES)
            if a != "spam"
        ]
        over = [(t, a) for x, t, a in statements if x >= 1.0]
        top = max(statements)
        say(
            f"  template statements 'I am <identity>' ({len(statements) // 6}) over a hold threshold: {over or 'none'} (highest score/threshold {top[0]:.2f}: {top[1]!r} {top[2]})"
        )
    probes = list(IDENTITY_PROBES)
    rows = scorer.score([TextInput(t) for t in probes])
    worst = max(
        (r[a] / thr[a], t, a) for t, r in zip(probes, rows, strict=True) for a in ATTRIBUTES
    )
    over = [(t, a) for t, r in zip(probes, rows, strict=True) for a in ATTRIBUTES if r[a] >= thr[a]]
    say(
        f"  identity-only statements over a hold threshold: {over or 'none'} (highest score/threshold {worst[0]:.2f}: {worst[1]!r} {worst[2]})"
    )


def template_bias(rows: list[D.LabelledExample], p: np.ndarray) -> str:
    """One line of Borkan et al.'s identity AUCs on the sentence templates (lowest identity)."""
    r = subgroup_bias([e.labels["toxicity"] for e in rows], p, [e.group for e in rows])
    return template_bias_summary(r)


def speed(scorer, runs: int) -> None:  # type: ignore[no-untyped-def]
    say("\n== Speed (one core)")
    data = REPO.parent / "shared" / "data" / "olid" / "olid-training-v1.0.tsv"
    if data.is_file():
        words = data.read_text(encoding="utf-8").split()
    else:
        words = [
            "the",
            "quick",
            "brown",
            "fox",
            "jumps",
            "over",
            "the",
            "lazy",
            "dog",
            "you",
            "idiot",
            "check",
            "out",
            "my",
            "channel",
        ]
    rng = np.random.default_rng(0)
    texts = []
    for _ in range(1000):
        s = " ".join(words[i] for i in rng.integers(0, len(words), 80))
        texts.append(s[:300])
    items = [TextInput(t) for t in texts]
    token = re.compile(r"\w+")
    scorer.score(items[:200])  # warm the token caches as a running worker would be
    for batch in (100, 1000):
        rates, base = [], []
        for _ in range(runs):
            t = time.perf_counter()
            for i in range(0, len(items), batch):
                scorer.score(items[i : i + batch])
            rates.append(len(items) / (time.perf_counter() - t))
            t = time.perf_counter()
            for x in texts:
                token.findall(x.lower())
            base.append(len(items) / (time.perf_counter() - t))
        r, b = statistics.median(rates), statistics.median(base)
        say(
            f"  batch {batch}: {r:,.0f} comments/s for spam + 6 toxicity labels (median of {runs}); baseline lower+tokenise {b:,.0f}/s; ratio {b / r:.1f}x  (bar >= 4,000/s)"
        )
    lat = []
    for x in items[:200]:
        t = time.perf_counter()
        scorer.score([x])
        lat.append((time.perf_counter() - t) * 1000)
    say(
        f"  single comment: median {statistics.median(lat):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms  (bar < 2 ms)"
    )
    t = time.perf_counter()
    scorer.explain(items[0])
    cold = (time.perf_counter() - t) * 1000
    ex = []
    for x in items[1:21]:
        t = time.perf_counter()
        scorer.explain(x)
        ex.append((time.perf_counter() - t) * 1000)
    say(
        f"  explain (all 7 attributes, one ~300-char comment): median {statistics.median(ex):.1f} ms over 20 comments (first call {cold:.1f} ms)"
    )


_WORDS = re.compile(r"[a-z]+")
# Five-word template sentences would swamp the time per comment of real ones.
UNTIMED = frozenset({"bias_templates"})
JIGSAW_TRAIN_ROWS = 159_571  # rows of Kaggle's Jigsaw train.csv, which profanity-check learns


def _text_key(text: str) -> str:
    # letters only: the bias set and Jigsaw quote and space the same comment differently
    return re.sub(r"[^a-z]", "", text.lower())[:80]


def jigsaw_overlap(data: Path, examples: list[D.LabelledExample]) -> tuple[int, int, float] | None:
    """(comments of ``examples`` found, rows, expected if all of them are in Jigsaw's train.csv)
    in the first rows of train.csv that ``jigsaw-toxic-train-head300`` holds."""
    head = data / "jigsaw-toxic-train-head300" / "train_sample.csv"
    if not head.is_file() or not examples:
        return None
    keys = {k for e in examples if len(k := _text_key(e.text)) > 30}
    with head.open(encoding="utf-8", newline="") as fh:
        rows = [r["comment_text"] for r in csv.DictReader(fh)]
    found = sum(_text_key(t) in keys for t in rows)
    return found, len(rows), len(rows) * len(examples) / JIGSAW_TRAIN_ROWS


def paired_bootstrap(
    y: np.ndarray, ours: np.ndarray, theirs: np.ndarray, resamples: int = 1000
) -> tuple[float, float, float]:
    """(2.5th percentile, observed, 97.5th percentile) of AUC(ours) - AUC(theirs), resampling
    the same comments for both, so a difference the set is too small to show is visible."""
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(resamples):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() != y[idx].max():
            diffs.append(roc_auc_score(y[idx], ours[idx]) - roc_auc_score(y[idx], theirs[idx]))
    observed = roc_auc_score(y, ours) - roc_auc_score(y, theirs)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return float(lo), float(observed), float(hi)


def cross_fitted_sets(
    data: Path,
) -> tuple[dict[str, list[D.LabelledExample]], dict[str, np.ndarray]]:
    """Every wiki-talk row, scored out of fold (see ``cross_fitted_toxicity``)."""
    say("  cross-fitting the toxicity recipe on the wiki-talk sets (5 refits) ...")
    rows, p = cross_fitted_toxicity(data, ("wiki", "wiki_cat"), folds=5)
    sets: dict[str, list[D.LabelledExample]] = {}
    ours: dict[str, np.ndarray] = {}
    for source, key in (("wiki", "wiki_talk_5fold"), ("wiki_cat", "cat_small_5fold")):
        idx = [i for i, e in enumerate(rows) if e.source == source]
        sets[key] = [rows[i] for i in idx]
        ours[key] = p[idx]
    return sets, ours


def compare(
    sets: dict[str, list[D.LabelledExample]],
    ours: dict[str, np.ndarray],
    timing: float,
    data: Path,
) -> None:
    """``ours``: commentguard's toxicity probability for every row of each set."""
    say("\n== Comparison with alt-profanity-check and hatesonar (same sets, toxicity column)")
    py = COMPARE_VENV / "bin" / "python"
    if not py.exists():
        say(f"  creating {COMPARE_VENV} ...")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(COMPARE_VENV)], check=True)
        except subprocess.CalledProcessError as exc:
            say(f"  cannot create the venv: {exc}")
            return
    results: dict[str, dict[str, object]] = {"commentguard": {"auc": {}, "ms": timing}}
    for name, module, spec in (
        ("alt-profanity-check", "profanity_check", "alt-profanity-check"),
        ("hatesonar", "hatesonar", "hatesonar"),
    ):
        if module == "hatesonar" and not has_locale("en_US.UTF-8"):
            # its ONNX string normaliser builds std::locale("en_US.UTF-8") whatever LANG says
            say(
                "  hatesonar: skipped, it needs the en_US.UTF-8 locale; as root: apt-get install "
                "-y locales && echo 'en_US.UTF-8 UTF-8' >> /etc/locale.gen && locale-gen"
            )
            continue
        check = subprocess.run([str(py), "-c", f"import {module}"], capture_output=True)
        if check.returncode != 0:
            say(f"  installing {spec} ...")
            inst = subprocess.run(
                [str(py), "-m", "pip", "install", "-q", spec], capture_output=True, text=True
            )
            if inst.returncode != 0:
                say(f"  {spec}: cannot install: {inst.stderr.strip().splitlines()[-1:]}")
                continue
        aucs: dict[str, float | None] = {}
        probs: dict[str, list[float]] = {}
        seconds = 0.0
        n = 0
        ok = True
        for key, rows in sets.items():
            tmp = COMPARE_VENV / "inputs"
            tmp.mkdir(exist_ok=True)
            src = tmp / f"compare-{key}.jsonl"
            src.write_text(
                "".join(json.dumps({"text": e.text}) + "\n" for e in rows), encoding="utf-8"
            )
            run = subprocess.run(
                [str(py), "-c", COMPARE_SCRIPT, module, str(src)], capture_output=True, text=True
            )
            if run.returncode != 0:
                say(f"  {name}: cannot run: {run.stderr.strip().splitlines()[-1:]}")
                ok = False
                break
            out = json.loads(run.stdout)
            aucs[key] = auc([e.labels["toxicity"] for e in rows], out["p"])
            probs[key] = out["p"]
            if key not in UNTIMED:
                seconds += out["seconds"]
                n += len(rows)
        if ok:
            results[name] = {"auc": aucs, "ms": seconds / max(n, 1) * 1000, "p": probs}
    for key, rows in sets.items():
        results["commentguard"]["auc"][key] = auc([e.labels["toxicity"] for e in rows], ours[key])  # type: ignore[index]
    keys = list(sets)
    say("  | model | " + " | ".join(keys) + " | ms/comment |")
    for name, r in results.items():
        cells = " | ".join("n/a" if r["auc"].get(k) is None else f"{r['auc'][k]:.4f}" for k in keys)  # type: ignore[attr-defined]
        say(f"  | {name} | {cells} | {r['ms']:.3f} |")
    our_auc = results["commentguard"]["auc"]
    for name, r in results.items():
        if name != "commentguard":
            worse = [k for k in keys if (r["auc"].get(k) or 0) >= (our_auc.get(k) or 0)]  # type: ignore[attr-defined, union-attr]
            say(
                f"  commentguard higher than {name} on every set: {not worse}"
                + (f" (not on {worse})" if worse else "")
            )
    if "bias_templates" in sets:
        say("  identity bias on the sentence templates, per model:")
        for name, r in results.items():
            theirs = (
                ours["bias_templates"] if name == "commentguard" else r["p"].get("bias_templates")
            )  # type: ignore[attr-defined]
            if theirs is not None:
                say(f"    {name}: " + template_bias(sets["bias_templates"], np.asarray(theirs)))
    if "bias_plain" in sets:
        rows = sets["bias_plain"]
        y = np.array([e.labels["toxicity"] for e in rows])
        named = np.array(
            [any(w in IDENTITY_TERMS for w in _WORDS.findall(e.text.lower())) for e in rows]
        )
        say(
            f"  bias_plain by whether a comment names an identity term (IDENTITY_TERMS, which our "
            f"toxicity column cannot use): {named.sum()} do ({y[named].sum()} toxic, {y[named].mean():.0%}), "
            f"{(~named).sum()} do not ({y[~named].sum()} toxic, {y[~named].mean():.0%}):"
        )
        for name, r in results.items():
            p = ours["bias_plain"] if name == "commentguard" else r["p"].get("bias_plain")  # type: ignore[attr-defined]
            if p is not None:
                p = np.asarray(p)
                say(
                    f"    {name}: naming one {auc(y[named], p[named]):.4f}, naming none {auc(y[~named], p[~named]):.4f}"
                )
    say("  AUC difference, commentguard minus each model, with a 95% paired bootstrap interval:")
    for name, r in results.items():
        if name == "commentguard":
            continue
        cells = []
        for key, rows in sets.items():
            theirs = r["p"].get(key)  # type: ignore[attr-defined]
            if theirs is None:
                continue
            y = np.array([e.labels["toxicity"] for e in rows])
            lo, mid, hi = paired_bootstrap(y, ours[key], np.asarray(theirs))
            cells.append(f"{key} {mid:+.4f} [{lo:+.4f}, {hi:+.4f}]")
        say(f"    vs {name}: " + "; ".join(cells))
    if any(k.endswith("_5fold") for k in keys):
        say(
            "  *_5fold: every wiki-talk row (CAT_LARGE gn+gc, and CAT_SMALL), commentguard's "
            "score from one of 5 refits of its recipe that did not train on that row; the "
            "shipped model trained on 80% of these rows, so this measures the recipe"
        )
    if "alt-profanity-check" not in results:
        return
    for key, line in (
        (
            "bias_plain",
            "  caveat: alt-profanity-check is trained on Jigsaw's train.csv; {found} of its first "
            "{rows} rows are bias-eval comments (expected {expected:.1f} if the whole bias set "
            "is in train.csv, 0 if none), so its bias_plain and bias_swapped figures are "
            "largely on comments it was trained on, not held out (the synthetic templates are not in it)",
        ),
        (
            "wiki_talk_5fold",
            "  the wiki-talk rows are not in train.csv: {found} of its first {rows} rows are "
            "wiki-talk comments (expected {expected:.1f} if they all were), so the *_5fold sets "
            "are held out for every model",
        ),
    ):
        overlap = jigsaw_overlap(data, sets.get(key, []))
        if overlap:
            found, rows, expected = overlap
            say(line.format(found=found, rows=rows, expected=expected))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    before = rss_mb()
    t = time.perf_counter()
    scorer = load_scorer()
    say(
        f"loaded {scorer.version} in {time.perf_counter() - t:.2f}s; max RSS {rss_mb():.0f} MB (before load {before:.0f} MB) (bench process; the clean worker figure is under Speed)"
    )
    say(f"thresholds: {json.dumps(dict(scorer.thresholds))}")
    sets: dict[str, list[D.LabelledExample]] = {}
    scorer_p: dict[str, np.ndarray] = {}
    timing = 0.0
    if args.data.is_dir():
        sets = eval_sets(args.data)
        n = 0
        for key, rows in sets.items():
            t = time.perf_counter()
            scorer_p[key] = np.array(
                [[r[a] for a in ATTRIBUTES] for r in scorer.score([e.as_input() for e in rows])]
            )
            if key not in UNTIMED:
                timing += time.perf_counter() - t
                n += len(rows)
        timing = timing / max(n, 1) * 1000
        quality(args.data, scorer_p, sets, scorer)
    else:
        say(f"no data folder at {args.data}: quality figures skipped")
    speed(scorer, args.runs)
    say(f"max RSS of this bench process (holds every data set too): {rss_mb():.0f} MB")
    clean_rss()
    if args.compare and sets:
        ours = {key: p[:, ATTRIBUTES.index("toxicity")] for key, p in scorer_p.items()}
        folded, folded_ours = cross_fitted_sets(args.data)
        compare({**sets, **folded}, {**ours, **folded_ours}, timing, args.data)


if __name__ == "__main__":
    main()

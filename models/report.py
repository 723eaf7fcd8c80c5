"""Model card and evaluation report (markdown + JSON) written next to the artifacts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.classifiers import CALIBRATION_FOLDS
from models.types import ATTRIBUTES

__all__ = ["template_bias_summary", "write_reports"]

_ORDER = {label: i for i, label in enumerate(ATTRIBUTES)}


def _by_label(labels: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Labels in attribute order, whether the mapping came from training or from JSON."""
    return sorted(labels.items(), key=lambda kv: _ORDER.get(kv[0], len(_ORDER)))


_THIN = {
    "severe_toxicity": (
        "thin: derived conservatively (Davidson tweets every annotator called hate speech; "
        "Civil Comments posts with a threat or an identity attack plus profanity)"
    ),
    "threat": "thin: about 140 positive posts (>= 2 ToxicSpans raters marked a threat)",
    "identity_attack": "hate speech / group-targeted labels from tweets; noisy across sets",
    "profanity": "Davidson 'offensive' (profanity-heavy) + OLID untargeted + ToxicSpans obscene",
}


def _f(x: Any) -> str:
    return "n/a" if x is None else (f"{x:.4f}" if isinstance(x, float) else str(x))


def template_bias_summary(result: Mapping[str, Any]) -> str:
    """One line of ``models.evaluate.subgroup_bias``'s result: the templates' AUC, each
    identity AUC's lowest identity and the spread between identities."""
    worst = ", ".join(
        f"{k} {_f(w['auc'])} ({w['group']})" for k, w in sorted(result["worst"].items())
    )
    spread = ", ".join(f"{k} {_f(v)}" for k, v in sorted(result["spread"].items()))
    return (
        f"sentence templates (n={result['n']}, {len(result['per_group'])} identities): "
        f"ROC AUC {_f(result['auc'])}; lowest per identity: {worst}; "
        f"spread (highest - lowest): {spread}"
    )


def evaluation_markdown(meta: Mapping[str, Any]) -> str:
    m = meta["metrics"]
    lines = [f"# Evaluation report: {meta['version']}", ""]
    lines += ["All figures on data never used in training or threshold tuning.", ""]
    if "olid_test_a" in m:
        o = m["olid_test_a"]
        lines.append(
            f"- OLID test, label A: ROC AUC {_f(o['auc'])} (n={o['n']}, OFF={o['positives']})"
        )
    if "wiki_fpr_at_threshold" in m:
        w = m["wiki_fpr_at_threshold"]
        lines.append(
            f"- wiki-talk test split: false-positive rate {w['fpr']:.4f} at toxicity threshold "
            f"{w['threshold']} (n={w['n']}, toxic={w['positives']})"
        )
    if "bias_eval" in m and "gap" in m["bias_eval"]:
        b = m["bias_eval"]
        lines.append(
            f"- conversationai-bias-eval: AUC plain {_f(b['plain']['auc'])}, identity-swapped "
            f"{_f(b['swapped']['auc'])}, gap {_f(b['gap'])}"
        )
    over = m.get("identity_probes_over_threshold", [])
    lines.append(f"- identity-only statements over a hold threshold: {over or 'none'}")
    templates = m.get("bias_templates")
    if templates:
        over = ", ".join(templates["identity_statements_over_threshold"]) or "none"
        lines.append(
            f"- conversationai-bias-eval {template_bias_summary(templates)}; "
            f"'I am <identity>' over a hold threshold: {over}"
        )
    lovo = m.get("spam_youtube_leave_one_video_out")
    if lovo:
        lines.append(
            f"- spam, YouTube leave-one-video-out: mean ROC AUC {_f(lovo['mean_auc'])}, "
            f"pooled {_f(lovo['pooled_auc'])}"
        )
        for g, v in lovo["per_group"].items():
            lines.append(f"  - {g}: {_f(v['auc'])} (n={v['n']}, spam={v['positives']})")
    linking = m.get("spam_linking_comments")
    if linking:
        lines.append(
            f"- spam, Civil Comments posts with a link (none spam, never trained on by the spam "
            f"model): {linking['over_threshold']:.1%} over the spam threshold, median "
            f"P(spam) {linking['median']:.3f} (n={linking['n']})"
        )
    lines += ["", "## Held-out test split, per data set and label", ""]
    lines += ["| model | data set | label | ROC AUC | n | positives |", "|---|---|---|---|---|---|"]
    for model in ("spam_test", "toxicity_test"):
        for source, labels in m.get(model, {}).items():
            for label, v in _by_label(labels):
                lines.append(
                    f"| {model.split('_')[0]} | {source} | {label} | {_f(v['auc'])} | {v['n']} "
                    f"| {v['positives']} |"
                )
    if templates:
        lines += ["", "## Identity terms in the sentence templates (toxicity)", ""]
        lines += [
            "Borkan et al. 2019: subgroup AUC within the sentences naming the identity; BPSN "
            "(its non-toxic sentences against the others' toxic ones) is low when naming it "
            "raises scores, BNSP (its toxic sentences against the others' non-toxic ones) low "
            "when naming it lowers them.",
            "",
            "| identity | subgroup AUC | BPSN AUC | BNSP AUC | n |",
            "|---|---|---|---|---|",
        ]
        for g, v in sorted(templates["per_group"].items()):
            lines.append(
                f"| {g} | {_f(v['subgroup'])} | {_f(v['bpsn'])} | {_f(v['bnsp'])} | {v['n']} |"
            )
    lines += ["", "## Decision (hold) thresholds, chosen on the validation split", ""]
    lines += [f"- {a}: {t}" for a, t in _by_label(meta["thresholds"])]
    return "\n".join(lines) + "\n"


def _classifier_line(meta: Mapping[str, Any]) -> str:
    settings: Mapping[str, Mapping[str, Any]] = meta["models"]["toxicity"].get("classifier", {})
    svm = [label.upper() for label, s in settings.items() if s["loss"] == "squared_hinge"]
    log = [label.upper() for label, s in settings.items() if s["loss"] == "log"]
    if not svm:
        return "Every label is a logistic regression (liblinear)."
    return (
        f"Classifiers: the spam model and {', '.join(log) or 'no toxicity label'} are logistic "
        f"regressions (liblinear); {', '.join(svm)} are linear SVMs (squared hinge), whose "
        "margins become probabilities by Platt scaling fitted on out-of-fold margins of the "
        f"training rows ({CALIBRATION_FOLDS} folds), folded into the coefficients. Each "
        "label's loss and C "
        "were chosen on the validation split."
    )


def model_card(meta: Mapping[str, Any]) -> str:
    m = meta["metrics"]
    pooled = m.get("toxicity_test_pooled", {})
    lines = [
        f"# Model card: Commentguard {meta['version']}",
        "",
        "Two scikit-learn Pipelines saved with skops: `spam.skops` (P(spam)) and "
        "`toxicity.skops` (TOXICITY, SEVERE_TOXICITY, IDENTITY_ATTACK, INSULT, PROFANITY, "
        "THREAT). Both are linear models over TF-IDF word "
        "1-2-grams and within-word character 3-5-grams of normalised text (NFKC, zero-width and "
        "control characters removed, confusables and accents folded, leetspeak and masked words "
        "unmasked, spaced-out letters joined, obfuscated and markup links recovered). The "
        "toxicity labels are fitted on NB-weighted features (NB-SVM log-count ratios per label, "
        "folded into the coefficients) plus standardised dense features: shouting, counts of "
        "obscene, insult, slur and threat lexicon words after unmasking, and the comment's word "
        "valence from VADER's sentiment lexicon (human ratings of 7,000 words, copied into the "
        "artifact; identity terms left out). The spam model adds "
        "dense structure features (links, shorteners, suspicious TLDs, e-mails, phones, "
        "markup links, author fields, repetition, length, shouting).",
        "",
        _classifier_line(meta),
        "",
        f"scikit-learn {meta['sklearn_version']}, skops {meta['skops_version']}; another "
        "scikit-learn version refuses to load (retrain with `commentguard train`).",
        "",
        "## Intended use",
        "",
        "Scores for a moderation queue: comments over a hold threshold go to a human. Not for "
        "automatic bans, not for languages other than English. Limits: bag-of-n-gram models "
        "miss sarcasm, context and insults without offensive words (OLID test ROC AUC in the "
        "evaluation report, against a 0.86 goal); the features are length-normalised, so one "
        "hostile sentence in a long friendly comment scores lower than it does alone (its "
        "explanation span carries its own score); the spam data is YouTube and SMS, not blog "
        "spam, so moderator feedback should be fed back through retraining. In that data nearly "
        "every comment with a link is spam; wiki-talk comments citing links are added as "
        "non-spam (at a quarter weight) so a link alone is not a verdict, but many legitimate "
        "linking comments still score over the spam threshold (the Civil Comments line in the "
        "evaluation report) and go to a moderator.",
        "",
        "## Identity terms",
        "",
        "The toxicity features replace a list of identity terms (gay, muslim, black, jewish, "
        "women, ...; see `models.normalize.IDENTITY_TERMS`) with one `<identity>` token before "
        "any n-gram is made, so every identity gives the same n-grams. The features made "
        "with that token (`<identity>`, `<identity> are`, `all <identity>`...) are fitted for "
        "IDENTITY_ATTACK alone, which is about identities by definition; every other label is "
        "fitted without them, so no feature that names an identity carries weight there (naming "
        "one still changes which word pairs the comment has and its length normalisation). "
        "Slurs are not on the list and are kept. "
        "Measured on conversationai-bias-eval (plain vs identity-swapped comments, and its "
        "76,564 template sentences identity by identity) in the evaluation report. Known "
        "remaining risk: the Davidson tweets label African-American English as "
        "'offensive' more often (Sap et al. 2019); dialect is not neutralised.",
        "",
        "## Data read by training (sha256 of every file; evaluation-only files named below)",
        "",
    ]
    lines += [f"- `{p}` {h}" for p, h in meta["data_sources"].items()]
    lines += [
        "",
        "Licences: YouTube Spam Collection CC BY 4.0; SMS Spam Collection free use "
        "(cite Almeida & Gomez Hidalgo 2011); Davidson et al. MIT; OLID research release "
        "(cite Zampieri et al. 2019); ToxicSpans CC0; MLMA MIT; wiki-talk Apache-2.0 "
        "(text CC BY-SA 3.0); VADER lexicon (vaderSentiment package) MIT, cite Hutto & Gilbert "
        "2014. Evaluation only: OLID test split, conversationai-bias-eval (Apache-2.0); "
        "for the spam model, the ToxicSpans posts with a link.",
        "",
        "## Label mapping",
        "",
    ]
    lines += [f"- {src}: {desc}" for src, desc in sorted(meta["label_mapping"].items())]
    lines += ["", "## Labels and how much evidence each has (held-out test split, pooled)", ""]
    lines += ["| label | ROC AUC | n | positives | note |", "|---|---|---|---|---|"]
    for label, v in _by_label(pooled):
        lines.append(
            f"| {label} | {_f(v['auc'])} | {v['n']} | {v['positives']} | {_THIN.get(label, '')} |"
        )
    lines += ["", "Full figures: `evaluation.md` / `evaluation.json`.", ""]
    return "\n".join(lines)


def write_reports(out_dir: Path, meta: Mapping[str, Any]) -> None:
    (out_dir / "evaluation.json").write_text(
        json.dumps(
            {"version": meta["version"], "thresholds": meta["thresholds"], **meta["metrics"]},
            indent=2,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    (out_dir / "evaluation.md").write_text(evaluation_markdown(meta), encoding="utf-8")
    (out_dir / "MODEL_CARD.md").write_text(model_card(meta), encoding="utf-8")

"""Model artifacts on disk and the Scorer the workers call.

A model folder (``models/artifacts/`` as shipped, or a version folder of a deployment) holds
``spam.skops``, ``toxicity.skops`` and ``metadata.json`` (version, data sources with sha256,
scikit-learn version, held-out metrics, thresholds, the skops types each file needs). Nothing is
loaded at import time: workers call :func:`load_scorer` at start, and :func:`promoted_version`
every few seconds to notice a newly promoted version.

Loading refuses (``ModelVersionError``) an artifact written by another scikit-learn version, and
refuses any skops type outside :data:`ALLOWED_TYPES`, so a tampered file cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io as sio
from sklearn.pipeline import Pipeline

from models.fastpath import BatchEngine
from models.features import COL_NORM, as_inputs, tokenize
from models.normalize import normalize
from models.types import ATTRIBUTES, TOXICITY_LABELS, Span, TextInput

__all__ = [
    "ALLOWED_TYPES",
    "ARTIFACT_FORMAT",
    "ATTRIBUTES",
    "SHIPPED_DIR",
    "ModelVersionError",
    "Scorer",
    "Span",
    "TextInput",
    "UntrustedArtifactError",
    "load_pipeline",
    "load_scorer",
    "promote",
    "promoted_version",
    "read_metadata",
    "save_pipeline",
]

SHIPPED_DIR = Path(__file__).resolve().parent / "artifacts"
# What the Pipelines inside an artifact folder hold; 2: toxicity features carry a valence table.
ARTIFACT_FORMAT = 2
METADATA_FILE = "metadata.json"
PROMOTED_FILE = "promoted.json"

# Types skops may instantiate beyond its defaults; anything else in a file is refused.
ALLOWED_TYPES: frozenset[str] = frozenset(
    {
        "models.classifiers.MaskedMultiLabel",
        "models.features.CommentFeatures",
        "models.features.NgramVectorizer",
        "models.features.Prepare",
        "models.features.SpamStructure",
        "models.features.TextShape",
        "sklearn.pipeline.Pipeline",
        "builtins.slice",
        "numpy.dtype",
        "numpy.float32",
        "numpy.float64",
        "numpy.int64",
        "numpy.str_",
        "sklearn.utils._bunch.Bunch",
    }
)


class ModelVersionError(Exception):
    """The artifact was made by another scikit-learn version than the one installed."""


class UntrustedArtifactError(Exception):
    """The artifact asks skops for a type outside ALLOWED_TYPES (or its hash does not match)."""


def _deterministic_zip(data: bytes) -> bytes:
    """Rewrite skops' zip so the same model gives the same bytes.

    skops names objects and array files by ``id()`` (memory addresses); these are renumbered in
    order of appearance, and zip timestamps are fixed.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    ids: dict[Any, int] = {}
    files: dict[str, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "__id__":
                    out[key] = ids.setdefault(value, len(ids))
                elif key == "file" and isinstance(value, str) and value in src.namelist():
                    suffix = value.rsplit(".", 1)[-1]
                    out[key] = files.setdefault(value, f"{len(files)}.{suffix}")
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    renamed = walk(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as dst:
        entries = {"schema.json": json.dumps(renamed, indent=2).encode("utf-8")}
        entries.update({files[name]: src.read(name) for name in files})
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, entries[name])
    return out.getvalue()


def save_pipeline(pipeline: Pipeline, path: Path) -> dict[str, Any]:
    """Write ``pipeline`` with skops; return its file metadata (sha256, trusted types)."""
    data = _deterministic_zip(sio.dumps(pipeline))
    untrusted = sorted(sio.get_untrusted_types(data=data))
    unknown = [t for t in untrusted if t not in ALLOWED_TYPES]
    if unknown:
        raise UntrustedArtifactError(
            f"pipeline needs skops types outside ALLOWED_TYPES: {unknown}; review and add them"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "trusted_types": untrusted,
    }


def read_metadata(folder: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
    return meta


def _check_version(meta: Mapping[str, Any], folder: Path) -> None:
    if meta.get("format") != ARTIFACT_FORMAT:
        raise ModelVersionError(
            f"model artifacts in {folder} are format {meta.get('format')}, made by another "
            f"Commentguard release; this one reads format {ARTIFACT_FORMAT}: retrain them with "
            f"`commentguard train --data DIR --out {folder}`"
        )
    made_with = meta.get("sklearn_version")
    if made_with != sklearn.__version__:
        raise ModelVersionError(
            f"model artifacts in {folder} were made with scikit-learn {made_with}, but "
            f"scikit-learn {sklearn.__version__} is installed; retrain them with "
            f"`commentguard train --data DIR --out {folder}` (or install scikit-learn=={made_with})"
        )


def load_pipeline(folder: Path, name: str, meta: Mapping[str, Any] | None = None) -> Pipeline:
    """Load one model Pipeline after the version, hash and trusted-type checks."""
    meta = meta or read_metadata(folder)
    _check_version(meta, folder)
    info = meta["models"][name]
    data = (folder / info["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise UntrustedArtifactError(f"{folder / info['file']}: sha256 differs from metadata")
    untrusted = sio.get_untrusted_types(data=data)
    unknown = sorted(t for t in untrusted if t not in ALLOWED_TYPES)
    if unknown:
        raise UntrustedArtifactError(f"{folder / info['file']} asks for untrusted types {unknown}")
    pipeline = sio.loads(data, trusted=untrusted)
    if not isinstance(pipeline, Pipeline):
        raise UntrustedArtifactError(f"{folder / info['file']} does not hold a Pipeline")
    return pipeline


class Scorer:
    """Both models loaded, scoring batches of comments on all seven ATTRIBUTES."""

    version: str
    thresholds: Mapping[str, float]

    def __init__(self, spam: Pipeline, toxicity: Pipeline, metadata: Mapping[str, Any]) -> None:
        self.spam = spam
        self.toxicity = toxicity
        self.metadata = metadata
        self.version = str(metadata["version"])
        self.thresholds = {a: float(metadata["thresholds"][a]) for a in ATTRIBUTES}
        self._prepare = spam.steps[0][1]
        self._spam_features = spam.named_steps["features"]
        self._spam_clf = spam.steps[-1][1]
        self._tox_features = toxicity.named_steps["features"]
        self._tox_clf = toxicity.steps[-1][1]
        self._engine: BatchEngine | None = None  # built on first score (token tables)

    def score(self, items: Sequence[TextInput]) -> list[dict[str, float]]:
        """One dict per item with every attribute's probability, in input order.

        Same numbers as the two Pipelines' ``predict_proba``, computed with one normalisation
        and one tokenisation pass per comment shared by both models.
        """
        if not items:
            return []
        return [dict(zip(ATTRIBUTES, row, strict=True)) for row in self.score_array(items)]

    def score_array(self, items: Sequence[TextInput]) -> list[list[float]]:
        """Like :meth:`score`, rows as lists in ATTRIBUTES order."""
        if not items:
            return []
        if self._engine is None:
            self._engine = BatchEngine(
                self._spam_features, self._spam_clf, self._tox_features, self._tox_clf
            )
        inputs = as_inputs(items)
        raw = [x.text for x in inputs]
        out: list[list[float]] = self._engine.probabilities(
            raw,
            [normalize(t) for t in raw],
            [(x.author_name, x.author_url, x.author_email) for x in inputs],
        ).tolist()
        return out

    def score_pipelines(self, items: Sequence[TextInput]) -> list[list[float]]:
        """The reference: :meth:`score_array` through the two Pipelines' own transforms."""
        prepared = self._prepare.transform(items)
        tokens = [tokenize(str(n)) for n in prepared[:, COL_NORM]]
        spam = self._spam_clf.predict_proba(self._spam_features.transform(prepared, tokens))
        tox = self._tox_clf.predict_proba(self._tox_features.transform(prepared, tokens))
        out: list[list[float]] = np.hstack([spam[:, :1], tox]).clip(0.0, 1.0).tolist()
        return out

    def explain(
        self, item: TextInput, attributes: Sequence[str] | None = None
    ) -> dict[str, list[Span]]:
        """Spans of ``item.text`` (original offsets) that drove each attribute's score."""
        from models.explain import explain_many

        wanted = []
        for attribute in attributes or ATTRIBUTES:
            if attribute == "spam":
                wanted.append((attribute, self.spam, 0, 0))
            elif attribute in TOXICITY_LABELS:
                k = TOXICITY_LABELS.index(attribute)
                wanted.append((attribute, self.toxicity, k, k + 1))
            else:
                raise KeyError(f"unknown attribute {attribute!r}; expected one of {ATTRIBUTES}")
        return explain_many(item, wanted, self.score_array)


def _resolve(root: Path | None) -> Path:
    if root is not None and (root / PROMOTED_FILE).is_file():
        pointer = json.loads((root / PROMOTED_FILE).read_text(encoding="utf-8"))
        target = Path(pointer["path"])
        return target if target.is_absolute() else root / target
    return SHIPPED_DIR


def load_scorer(root: Path | None = None) -> Scorer:
    """Load the version promoted under ``root`` (a deployment's models folder), else shipped."""
    folder = _resolve(root)
    meta = read_metadata(folder)
    return Scorer(
        load_pipeline(folder, "spam", meta), load_pipeline(folder, "toxicity", meta), meta
    )


def promoted_version(root: Path | None = None) -> str:
    """Version string of what :func:`load_scorer` would load now (reads small json files only)."""
    if root is not None and (root / PROMOTED_FILE).is_file():
        pointer = json.loads((root / PROMOTED_FILE).read_text(encoding="utf-8"))
        return str(pointer["version"])
    return str(read_metadata(SHIPPED_DIR)["version"])


def promote(root: Path, version_dir: Path) -> None:
    """Atomically point ``root/promoted.json`` at ``version_dir`` (a folder written by training).

    The folder is checked first (metadata readable, same scikit-learn), so a broken version is
    never promoted; the pointer is written to a temporary file and moved into place.
    """
    meta = read_metadata(version_dir)
    _check_version(meta, version_dir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        path = str(version_dir.resolve().relative_to(root.resolve()))
    except ValueError:
        path = str(version_dir.resolve())
    payload = json.dumps({"version": meta["version"], "path": path}, indent=2) + "\n"
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".promoted-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
        os.replace(tmp, root / PROMOTED_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

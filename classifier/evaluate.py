"""Evaluate: precision, recall and F1 overall and per language, the confusion matrix, the misclassified
items, a precision–recall curve, and the keyword queries people type into news-alert services, so every
report shows what the model adds over keywords.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, confusion_matrix, precision_recall_curve

from classifier.corpus import Example
from classifier.model import TiesModel

# (North Korea OR DPRK OR Pyongyang OR Kim Jong) AND (Russia OR Moscow OR Putin OR Kremlin)
EN_NORTH = ("north korea", "dprk", "pyongyang", "kim jong")
EN_RUSSIA = ("russia", "moscow", "putin", "kremlin")
# The same names in the nine languages of the corpus.
NAMES_NORTH = EN_NORTH + (
    "corea del nord",
    "nordcorea",
    "pyongyang",
    "corea del norte",
    "norcorea",
    "pionyang",
    "corée du nord",
    "nord-coré",
    "nordkorea",
    "pjöngjang",
    "korea północna",
    "korei północnej",
    "koreą północną",
    "północnokore",
    "phenian",
    "кндр",
    "северная корея",
    "северной кореи",
    "северокоре",
    "пхеньян",
    "ким чен ын",
    "північна корея",
    "північної кореї",
    "північнокоре",
    "кім чен ин",
    "북한",
    "평양",
    "김정은",
    "kim jong-un",
)
NAMES_RUSSIA = EN_RUSSIA + (
    "russia",
    "russo",
    "russi",
    "mosca",
    "cremlino",
    "rusia",
    "ruso",
    "moscú",
    "kremlin",
    "russie",
    "russe",
    "moscou",
    "poutine",
    "russland",
    "russisch",
    "moskau",
    "kreml",
    "rosja",
    "rosji",
    "rosyj",
    "moskw",
    "putin",
    "росси",
    "россий",
    "москв",
    "кремл",
    "путин",
    "росія",
    "росії",
    "російськ",
    "러시아",
    "모스크바",
    "푸틴",
    "크렘린",
)


def keyword_query(north: Sequence[str], russia: Sequence[str]) -> Callable[[str], bool]:
    """(any of north) AND (any of russia), case-insensitive, as alert services match words and prefixes."""
    n = re.compile("|".join(re.escape(t) for t in north), re.I)
    r = re.compile("|".join(re.escape(t) for t in russia), re.I)
    return lambda text: bool(n.search(text) and r.search(text))


BASELINES: dict[str, Callable[[str], bool]] = {
    "keywords (English alert query)": keyword_query(EN_NORTH, EN_RUSSIA),
    "keywords (names in nine languages)": keyword_query(NAMES_NORTH, NAMES_RUSSIA),
}


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int

    @classmethod
    def of(cls, y: Sequence[int], predicted: Sequence[bool]) -> Scores:
        y_arr, p_arr = np.asarray(y, dtype=bool), np.asarray(predicted, dtype=bool)
        tp = int((y_arr & p_arr).sum())
        precision = tp / p_arr.sum() if p_arr.sum() else 0.0
        recall = tp / y_arr.sum() if y_arr.sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(float(precision), float(recall), float(f1), len(y_arr))


@dataclass(frozen=True)
class Report:
    """Everything ``tieswatch evaluate`` prints for one data set."""

    name: str
    threshold: float
    overall: Scores
    per_language: dict[str, Scores]
    confusion: list[list[int]]
    baselines: dict[str, Scores]
    misclassified: list[tuple[Example, float]]
    average_precision: float
    scores: np.ndarray
    labels: np.ndarray
    families: dict[str, Scores] = field(default_factory=dict)  # each feature family alone (two-family models)
    family_per_language: dict[str, dict[str, Scores]] = field(default_factory=dict)  # language -> family -> scores
    family_scores: dict[str, np.ndarray] = field(default_factory=dict)


def average_precision_of(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the precision–recall curve: how well scores rank relevant items above the rest."""
    labels = np.asarray(labels)
    return float(average_precision_score(labels, scores)) if labels.any() else 0.0


FAMILY_NAMES = {"lexical": "lexical family", "semantic": "embedding family"}


def evaluate(model: TiesModel, examples: Sequence[Example], name: str, threshold: float | None = None) -> Report:
    threshold = model.threshold if threshold is None else threshold
    by_family = model.family_scores([(e.title, e.body) for e in examples])
    scores = by_family.pop("stack", by_family["lexical"])
    labels = np.array([e.label for e in examples])
    predicted = scores >= threshold
    # Each family alone, at the threshold chosen for it on out-of-fold scores (see the model card).
    cut = {f: (model.card.get("families") or {}).get(f, {}).get("threshold", threshold) for f in by_family}
    families, family_per_language, per_language = {}, {}, {}
    if model.stack is not None:
        families = {f: Scores.of(labels, p >= cut[f]) for f, p in by_family.items()}
    for lang in sorted({e.lang for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        per_language[lang] = Scores.of(labels[idx], predicted[idx])
        if families:
            family_per_language[lang] = {f: Scores.of(labels[idx], p[idx] >= cut[f]) for f, p in by_family.items()}
    texts = [f"{e.title}\n{e.body}" for e in examples]
    baselines = {label: Scores.of(labels, [query(t) for t in texts]) for label, query in BASELINES.items()}
    wrong = [(e, float(s)) for e, s, p in zip(examples, scores, predicted, strict=True) if bool(p) != bool(e.label)]
    return Report(
        name=name,
        threshold=threshold,
        overall=Scores.of(labels, predicted),
        per_language=per_language,
        confusion=confusion_matrix(labels, predicted, labels=[0, 1]).tolist(),
        baselines=baselines,
        misclassified=wrong,
        average_precision=float(average_precision_score(labels, scores)) if labels.any() else 0.0,
        scores=scores,
        labels=labels,
        families=families,
        family_per_language=family_per_language,
        family_scores=by_family if families else {},
    )


def _row(label: str, s: Scores) -> str:
    return f"  {label:<38} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  (n={s.support})"


def format_report(report: Report, show_errors: int = 30) -> str:
    lines = [f"== {report.name}: {report.overall.support} items, threshold {report.threshold:.3f}"]
    lines.append(_row("model" if not report.families else "model (the two families stacked)", report.overall))
    for family, s in report.families.items():
        lines.append(_row(f"{FAMILY_NAMES[family]} alone", s))
    for label, s in report.baselines.items():
        lines.append(_row(label, s))
    lines.append(f"  average precision (area under the PR curve): {report.average_precision:.3f}")
    lines.append("  per language:" + ("  (right: F1 of lexical / embedding / stack)" if report.families else ""))
    for lang, s in report.per_language.items():
        row = "  " + _row(lang, s)
        if lang in report.family_per_language:
            f1s = report.family_per_language[lang]
            row += f"   F1 {f1s['lexical'].f1:.2f} / {f1s['semantic'].f1:.2f} / {s.f1:.2f}"
        lines.append(row)
    (tn, fp), (fn, tp) = report.confusion
    lines.append("  confusion matrix (rows: true 0/1, columns: predicted 0/1):")
    lines.append(f"      true 0: {tn:5d} {fp:5d}")
    lines.append(f"      true 1: {fn:5d} {tp:5d}")
    if report.misclassified:
        lines.append(f"  misclassified ({len(report.misclassified)}):")
        for example, score in report.misclassified[:show_errors]:
            kind = "missed" if example.label else "false alarm"
            lines.append(f"    [{kind} {score:.2f} {example.lang}] {example.id}: {example.title[:90]}")
        if len(report.misclassified) > show_errors:
            lines.append(f"    ... and {len(report.misclassified) - show_errors} more")
    return "\n".join(lines)


def plot_pr_curves(curves: Sequence[tuple[str, np.ndarray, np.ndarray]], path: Path, title: str) -> Path:
    """Precision–recall curves (label, labels, scores) in one PNG."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    for label, y, s in curves:
        precision, recall, _ = precision_recall_curve(y, s)
        ax.plot(recall, precision, label=f"{label} (AP {average_precision_score(y, s):.3f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1.01)
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path

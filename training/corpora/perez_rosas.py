"""Pérez-Rosas et al. (COLING 2018): FakeNewsAMT and Celebrity, one ``.txt`` per article.

``data/{fakeNewsDataset,celebrityDataset}/{fake,legit}/*.txt``; the first non-empty line is the
headline, the rest the body; label 1 = fake. A file that is a single paragraph has no title line
(30 AMT fakes, 1 Celebrity fake): it is kept as a body with an empty headline and noted as a
``no headline`` issue. Each AMT fake is a crowd rewrite of the legit article with the same stem
(``biz01.fake.txt`` / ``biz01.legit.txt``) and the Celebrity files are collected in pairs
(``001fake.txt`` / ``001legit.txt``): the group is the pair, so a fake and its original never
land in different splits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from hypemeter.records.results import Record

from .base import LoadReport, Manifest, decode_document, iter_class_files
from .text import clean_inline

DATASETS: tuple[tuple[str, str], ...] = (
    ("fakeNewsDataset", "perez_rosas_amt"),
    ("celebrityDataset", "perez_rosas_celebrity"),
)
CLASSES: tuple[tuple[str, int], ...] = (("fake", 1), ("legit", 0))
_STEM = re.compile(r"^(?P<pair>.+?)\.?(?P<cls>fake|legit)$")


class PerezRosasLoader:
    name = "perez_rosas_2018"
    tasks = ("misinformation",)

    def load(self, root: Path, report: LoadReport) -> Iterator[Record]:
        for dataset, source in DATASETS:
            folder = root / "data" / dataset
            manifest = Manifest(f"{self.name}/data/{dataset}/")
            if not folder.is_dir():
                report.issue(manifest.key, None, f"missing folder: {folder}")
                continue
            kept = 0
            for path, key, data, cls, label in iter_class_files(
                folder, manifest, CLASSES, "*.txt", report
            ):
                record = self._article(path, key, data, dataset, source, cls, label, report)
                if record is not None:
                    kept += 1
                    yield report.keep(key, 1, record)
            manifest.finish(report, kept)

    def _article(
        self,
        path: Path,
        key: str,
        data: bytes,
        dataset: str,
        source: str,
        cls: str,
        label: int,
        report: LoadReport,
    ) -> Record | None:
        text = decode_document(data, key, report)
        if text is None:
            return None
        m = _STEM.match(path.name.removesuffix(".txt"))
        if m is None or m.group("cls") != cls:
            report.issue(key, None, f"bad file name: expected <pair>[.]{cls}.txt")
            return None
        lines = text.replace("\r\n", "\n").split("\n")
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None:
            report.issue(key, None, "empty text: file has no text")
            return None
        headline = clean_inline(lines[first])
        body = "\n".join(lines[first + 1 :]).strip()
        if not body:
            # 30 AMT fakes and one Celebrity fake are a single paragraph without a title line.
            headline, body = "", lines[first].strip()
            report.issue(key, first + 1, "no headline: single paragraph, kept as body only")
        pair = m.group("pair")
        return Record(
            id=f"{self.name}:{dataset}:{pair}:{cls}",
            headline=headline,
            body=body,
            task="misinformation",
            label=label,
            source=source,
            group=f"perez_rosas:{dataset}:{pair}",
            corpus=self.name,
            kind="article",
        )

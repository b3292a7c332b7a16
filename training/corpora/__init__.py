"""Loaders for the public training corpora and the project's sample corpus.

``load_corpora(data_dir)`` reads every corpus folder of a data dir (see ``datasets/README.md``
and ``datasets/catalog.json``) into :class:`hypemeter.records.results.Record` objects, records every
malformed row as a :class:`LoadIssue`, checks file checksums against the catalog and removes
duplicate texts; :mod:`hypemeter.training.corpora.split` then splits by group or holds out a corpus.
"""

from .base import CorpusLoader, LoadIssue, LoadReport
from .dedupe import dedupe
from .registry import LOADERS, default_data_dir, load_catalog, load_corpora
from .split import group_split, iter_corpus_folds, iter_source_folds
from .text import normalise_text, registrable_domain

__all__ = [
    "LOADERS",
    "CorpusLoader",
    "LoadIssue",
    "LoadReport",
    "dedupe",
    "default_data_dir",
    "group_split",
    "iter_corpus_folds",
    "iter_source_folds",
    "load_catalog",
    "load_corpora",
    "normalise_text",
    "registrable_domain",
]

"""Feedback storage: corrections kept in a real database (SQLite by default, PostgreSQL for
deployments), used by the service (``/v1/feedback``) and by training (``train --feedback``).

The scoring core never imports this package.
"""

from hypemeter.storage.engine import ENV_VAR, default_data_folder, default_database_url
from hypemeter.storage.records import Feedback, NewFeedback, SpanVerdict
from hypemeter.storage.store import MAX_LIMIT, FeedbackStore, LabelFilter

__all__ = [
    "ENV_VAR",
    "MAX_LIMIT",
    "Feedback",
    "FeedbackStore",
    "LabelFilter",
    "NewFeedback",
    "SpanVerdict",
    "default_data_folder",
    "default_database_url",
]

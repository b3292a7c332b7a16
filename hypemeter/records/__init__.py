"""The records hypemeter reads and returns: articles and results (``results``), JSONL/CSV input
and output (``io``), the JSON encoder of results (``json_output``) and streaming batch scoring
of files (``batch``).
"""

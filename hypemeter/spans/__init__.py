"""Loaded phrases: the span model, the columns it reads (``columns``), how its word
probabilities become spans (``decoding``, ``fast``) and the sentence rows.
"""

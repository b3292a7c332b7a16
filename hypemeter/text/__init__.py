"""Text as the model reads it: tokens with their offsets (``tokens``) and sentence boundaries
(``sentences``).
"""

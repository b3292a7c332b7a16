"""What the model measures in a field of text: style features, the phrase lexicon, the word
table, the lexicon matching of a batch of fields and the hashed n-gram vectorizer.
"""

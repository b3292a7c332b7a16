"""What the model measures in a field of text: style features, the phrase lexicon, the word
table and the hashed n-gram vectorizer.
"""

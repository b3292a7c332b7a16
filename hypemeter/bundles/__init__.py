"""A trained model on disk: writing, verifying and loading a bundle (``bundle``), and cleaning
up after killed runs (``staging``).
"""

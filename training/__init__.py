"""Training code for hypemeter: corpus loading, splits and model training."""

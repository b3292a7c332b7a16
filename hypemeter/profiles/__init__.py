"""Profiles: per-newsroom adaptations of the shipped model, learnt from that newsroom's own
corrections (see docs/profiles.md).

* :mod:`hypemeter.profiles.adapter`: the adapter (recipes compared out of fold, calibrated);
* :mod:`hypemeter.profiles.spans`: the profile's prior on phrases (its span verdicts);
* :mod:`hypemeter.profiles.codec`: the stored form (arrays and JSON with a checksum);
* :mod:`hypemeter.profiles.apply`: applying an adapter to the base model's results;
* :mod:`hypemeter.profiles.fitting`: fitting from stored corrections (storage side).

The scoring path needs only ``adapter``, ``spans`` and ``apply``.
"""

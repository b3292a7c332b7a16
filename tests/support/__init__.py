"""What the tests share: ``paths`` (the checkout), ``texts`` (example articles and keys),
``apps`` (the app in-process), ``servers`` (a real ``hypemeter serve``), ``models`` (copies of
the shipped bundle), ``postgres`` (a real PostgreSQL), ``browser`` (Chromium), ``benchmarks``
(the synthetic articles) and ``fixtures`` (the pytest fixtures built on them, loaded by
``tests/conftest.py``)."""

"""The hour's functional core: posts and queries in, ranked titled issues out. No I/O.

:func:`jobs.pipeline.hour.run_hour_core` is the design's sequence of named stage calls
(extract -> seeds -> titles -> merge -> overrides -> rank and bundle); each stage is a function of
:mod:`jobs.pipeline.stages` over the stage packages (``keywords``, ``issues``, ``titling``,
``clustering``), typed by the records of :mod:`jobs.pipeline.records`; :mod:`jobs.pipeline.feed`
turns the result into the feed document. :mod:`jobs.runner.hour` is the I/O shell around it.
"""

"""Flywheel digests: each week, per guild and for the whole org, the five stages Safety → Trust →
Adoption → Impact → Feedback with their change and trend, the weakest stage, and thanks.

Plain Python: figures from the activity log (:mod:`storage.digest`), the rules in
:mod:`bot.digest.figures` and :mod:`bot.digest.trend`, the use cases in
:class:`bot.digest.service.DigestService` with the interfaces it owns in :mod:`bot.digest.ports`.
"""

"""Onboarding an export: ``workbench init`` reads the files, guesses the mapping, the date
formats, line-level orders, derived fields and presets, and writes a commented
``workbench.yaml`` for the user to review (:func:`init`)."""

from __future__ import annotations

from .guess import Guess, guess_source, header_key, vocabulary
from .write import InitResult, init, render

__all__ = ["Guess", "InitResult", "guess_source", "header_key", "init", "render", "vocabulary"]

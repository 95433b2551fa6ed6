"""Tests of the wire-format codecs."""

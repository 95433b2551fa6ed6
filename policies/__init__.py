"""Policies: the Policy base class, the stream engine, built-in policies and the runtime."""

"""Baton provider plugins: ``from plugins.http import HttpOperator``."""

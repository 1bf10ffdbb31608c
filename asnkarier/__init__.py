"""Shared core of Asisten Karier ASN: settings, data model and services used by every process."""

__version__ = "0.1.0"

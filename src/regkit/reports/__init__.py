"""Regulator files: the official XSDs, safe XML parsing and validation, and the renderers.

:mod:`regkit.reports.xml` holds the schema registry (the XSDs shipped under ``xsd/``, or newer
copies from ``REGKIT_XSD_DIR``), :func:`~regkit.reports.xml.parse_safely` for untrusted XML
and :func:`~regkit.reports.xml.validate`.
"""

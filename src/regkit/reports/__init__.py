"""Regulator files: the official XSDs, safe XML parsing and validation, and the renderers.

:mod:`regkit.reports.xml` holds the schema registry (the XSDs shipped under ``xsd/``, or newer
copies from ``REGKIT_XSD_DIR``), :func:`~regkit.reports.xml.parse_safely` for untrusted XML
and :func:`~regkit.reports.xml.validate`; :mod:`regkit.reports.writer` streams validated files
and :mod:`regkit.reports.values` formats values. :mod:`regkit.reports.iso20022` is the layer
the regimes share (envelope, safe reading, code lists, one feedback model and reconcile);
:mod:`regkit.reports.mifir` and :mod:`regkit.reports.emir` each render their reports and
read their feedback on it.
"""

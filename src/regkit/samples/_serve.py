"""A sample worker process: ``python -m regkit.samples._serve`` (started by
:class:`regkit.samples._workers.Workers`; the package does not import this module, so that
``-m`` runs it fresh)."""

from regkit.samples._workers import serve

if __name__ == "__main__":
    serve()

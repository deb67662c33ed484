"""Deprecated: moved to :mod:`regkit.schemas.io.columnar` (and :func:`read_frame` to
:mod:`regkit.schemas.io.loaders`); this path re-exports for one release."""

from regkit.schemas.io.columnar import FrameBatch, to_frame, validate_frame
from regkit.schemas.io.columnar import _spec as _spec  # tests read it here
from regkit.schemas.io.loaders import read_frame

__all__ = ["FrameBatch", "read_frame", "to_frame", "validate_frame"]

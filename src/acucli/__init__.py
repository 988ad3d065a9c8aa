"""acucli: an offline reference for acupuncture points, herbs, formulas and conditions.

    import acucli
    kb = acucli.open()
    kb.point("KI3").location

See docs/api.md. The API lives in acucli.api; it is imported on first use so
that `acu` starts fast.
"""

__version__ = "0.2.0"


def open(data_path=None, use_cache: bool = True):  # noqa: A001 - the documented name
    """The knowledge base: bundled data plus overlays (see acucli.api.open)."""
    from acucli.api import open as _open

    return _open(data_path, use_cache)


def __getattr__(name):
    # acucli.NotFound, acucli.Ambiguous, acucli.DataError, acucli.Library ...
    if name in ("NotFound", "Ambiguous", "DataError", "UsageError", "AcuError"):
        from acucli import errors

        return getattr(errors, name)
    if name in ("Library", "Context"):
        from acucli import api

        return getattr(api, name)
    raise AttributeError(f"module 'acucli' has no attribute {name!r}")

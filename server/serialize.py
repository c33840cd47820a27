"""Serialising triples: pyoxigraph for speed, with our prefixes for readability."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from server.formats import RdfFormat


def serialize(triples: Iterable[ox.Triple], fmt: RdfFormat, prefixes: dict[str, str]) -> bytes:
    """Bytes in ``fmt``; N-Triples ignores prefixes by definition."""
    kwargs = {} if fmt.ox_format == ox.RdfFormat.N_TRIPLES else {"prefixes": prefixes}
    return ox.serialize(list(triples), format=fmt.ox_format, **kwargs)  # type: ignore[return-value]

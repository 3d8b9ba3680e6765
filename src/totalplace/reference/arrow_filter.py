"""Row masks over the shipped Arrow tables without converting Python values.

pyarrow imports pandas (a fifth of a second or more) the first time it turns
any Python value into Arrow: a ``pc.equal(column, "2017-18")``, a
``pa.array([...])``.  A single top-down count needs nothing from pandas, so its
filters compare the column with an array of the wanted value built from raw
buffers, which Arrow never hands to pandas.  The masks are the ones the plain
calls give: true where the cell equals one of the values, false (or null,
which a filter drops) elsewhere.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import Any

import pyarrow as pa


def _filled_int(kind: Any, value: int, length: int) -> Any:
    code = {8: "b", 16: "h", 32: "i", 64: "q"}[kind.bit_width]
    return pa.Array.from_buffers(kind, length, [None, pa.py_buffer(array(code, [value]) * length)])


def _filled_text(value: str, length: int) -> Any:
    data = value.encode("utf-8")
    offsets = array("q", range(0, len(data) * length + 1, len(data))) if data else None
    if offsets is None:
        offsets = array("q", [0]) * (length + 1)
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(data * length)]
    return pa.Array.from_buffers(pa.large_string(), length, buffers)


def _none(length: int) -> Any:
    return pa.Array.from_buffers(pa.bool_(), length, [None, pa.py_buffer(bytes((length + 7) // 8))])


def is_in(column: Any, values: Iterable[str]) -> Any:
    """A boolean mask of ``column`` (string or dictionary of strings): its cells
    equal to any of ``values``."""
    import pyarrow.compute as pc

    wanted = sorted(set(values))
    masks = []
    for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
        found = None
        if pa.types.is_dictionary(chunk.type):
            names = chunk.dictionary.to_pylist()
            for index, name in enumerate(names):
                if name in wanted:
                    same = pc.equal(
                        chunk.indices, _filled_int(chunk.indices.type, index, len(chunk))
                    )
                    found = same if found is None else pc.or_(found, same)
        else:
            cells = chunk.cast(pa.large_string())
            for value in wanted:
                same = pc.equal(cells, _filled_text(value, len(chunk)))
                found = same if found is None else pc.or_(found, same)
        masks.append(_none(len(chunk)) if found is None else found)
    return pa.chunked_array(masks, pa.bool_())

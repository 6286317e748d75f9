"""Arrays built from a display of pieces: `np.concatenate([a, b])`, `np.stack((a, b))`,
`np.array([x, y])`, `np.hstack([a, b])`, `np.vstack([a, b])`, `np.column_stack([a, b])`,
`np.dstack([a, b])`.

The display stays in the trace as one statement. In reverse mode each piece's adjoint is
its part of the result's adjoint: `v_bar[0]` for a stacked piece, `concatenate_part(...)`
for a concatenated one, `joined_part(...)` for one of the others (`hstack`, ...). In forward
mode the result's tangent is the same call on the pieces' tangents, with zeros for
pieces that carry none.
"""

import gast

from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes

try:
    import numpy
except ImportError:  # without NumPy there is nothing to pack
    numpy = None

_KINDS = {} if numpy is None else {id(numpy.concatenate): "concatenate",
                                   id(numpy.stack): "stack", id(numpy.array): "array",
                                   id(numpy.hstack): "hstack", id(numpy.vstack): "vstack",
                                   id(numpy.column_stack): "column_stack",
                                   id(numpy.dstack): "dstack"}
_JOINED = ("hstack", "vstack", "column_stack", "dstack")  # their pieces reshaped first


def is_pack_function(function):
    """One of the functions that take a display of pieces, whatever it is given."""
    return id(function) in _KINDS


def is_pack(application):
    return (id(application.primal) in _KINDS and len(application.args) >= 1
            and isinstance(application.args[0], (gast.List, gast.Tuple)))


def is_pack_of_list(application, lists):
    """A call such as `np.stack(pieces)` of one of the function's `lists`, built by
    `append`."""
    return (id(application.primal) in _KINDS and len(application.args) >= 1
            and isinstance(application.args[0], gast.Name) and application.args[0].id in lists)


def adjoints(application, result_bar, origin):
    """`(piece, its adjoint)` for each piece of the display, in order."""
    for i, piece in enumerate(application.args[0].elts):
        yield piece, part(application, result_bar, nodes.constant(i), origin)


def part(application, result_bar, index, origin):
    """The part of the result's adjoint due to the piece at `index` (a number or a name)."""
    kind = _KINDS[id(application.primal)]
    pieces, axis = application.args[0], _axis(application, kind, origin)
    args = [anno.copy_tree(result_bar), anno.copy_tree(pieces), anno.copy_tree(index)]
    if kind == "concatenate":
        from ast_ad.runtime.arrays import concatenate_part

        return gast.Call(func=nodes.bound("concatenate_part", concatenate_part), args=args,
                         keywords=[gast.keyword(arg="axis", value=nodes.constant(axis))])
    if kind in _JOINED:
        from ast_ad.runtime.arrays import joined_part

        return gast.Call(func=nodes.bound("joined_part", joined_part),
                         args=args + [nodes.constant(kind)], keywords=[])
    return gast.Subscript(value=anno.copy_tree(result_bar), slice=_stacked_index(index, axis),
                          ctx=gast.Load())


def tangent_of_list(application, tangents):
    """The call again, on the list of the pieces' tangents."""
    call = anno.copy_tree(application.stmt.value)
    call.args[0] = nodes.load(tangents)
    return call


def tangent(application, tangent_of):
    """The call again, on the pieces' tangents (`tangent_of(atom)`: a name, or None)."""
    pieces = application.args[0]
    elements = []
    for piece in pieces.elts:
        found = tangent_of(piece)
        if found is not None:
            elements.append(nodes.load(found))
        elif isinstance(piece, gast.Constant) and isinstance(piece.value, (int, float)):
            elements.append(nodes.constant(0.0))
        else:
            zeros = gast.Attribute(value=nodes.bound("numpy", numpy), attr="zeros_like",
                                   ctx=gast.Load())
            elements.append(gast.Call(func=zeros, args=[anno.copy_tree(piece)], keywords=[]))
    call = anno.copy_tree(application.stmt.value)
    call.args[0] = type(pieces)(elts=elements, ctx=gast.Load())
    return call


def _axis(application, kind, origin):
    """The axis, which must be written as a number (or None, to concatenate flattened)."""
    if kind == "array" or kind in _JOINED:
        return 0  # none given: `joined_part` finds the axis of the last four
    given = application.keywords.get("axis")
    if given is None and len(application.args) > 1:
        given = application.args[1]
    if given is None:
        return 0
    if isinstance(given, gast.Constant) and (type(given.value) is int or (
            given.value is None and kind == "concatenate")):
        return given.value
    raise origin.unsupported(application.stmt, f"the axis of np.{kind} must be written as a "
                                               "number for ast_ad to split its adjoint")


def _stacked_index(i, axis):
    """`i`, `:, i` or `..., i, :`: where piece `i` sits along `axis` of the stacked array."""
    every = gast.Slice(lower=None, upper=None, step=None)
    if axis == 0:
        return anno.copy_tree(i)
    if axis > 0:
        parts = [every] * axis + [i]
    else:
        parts = [nodes.constant(Ellipsis), i] + [every] * (-axis - 1)
    return gast.Tuple(elts=[anno.copy_tree(p) for p in parts], ctx=gast.Load())

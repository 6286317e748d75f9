"""Array helpers that generated code calls: adjoints summed back to an input's shape
(`unbroadcast`), reductions' adjoints, and the pieces of joined arrays. Each has rules
of its own in `ast_ad.rules.numpy`, so generated array code can be differentiated
again.
"""

import collections
import math

import numpy as np

from ast_ad.errors import DifferentiationError, format_message
from ast_ad.runtime.containers import (at, built, cast_tree, leaves, rebuilt, typed_like,
                                       zeros_like_tree)


def unbroadcast(g, x):
    """`g`, the adjoint of a result broadcast from `x`, summed back to `x`'s shape."""
    if type(g) is np.ndarray:
        if type(x) is np.ndarray and g.shape == x.shape:
            return g  # the common case, first: nothing was broadcast
    elif isinstance(g, (float, int, np.generic)):
        return g  # a number broadcasts (see `uniform_adjoint`)
    shape = shape_of(x)
    if shape_of(g) in (shape, ()):
        return g
    extra = np.ndim(g) - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    return g


def broadcast_like(t, z):
    """`t`, a tangent of `z` that a zero left smaller (`x_dot` for `x + b`), at `z`'s shape."""
    shape = shape_of(z)
    if shape_of(t) == shape:
        return t
    if isinstance(t, (int, float)):  # a default seed: of the argument's type, as in JAX
        t = np.asarray(t, dtype=float_type(z))
    return np.broadcast_to(t, shape)


def broadcast_tree(t, x):
    """A tangent `t` of `x`, a list, tuple or dict of arrays, in `x`'s containers (a
    namedtuple's, whose fields the function may read by name): a number stands for
    itself at every element (the default seed 1.0)."""
    return rebuilt(x, lambda path: broadcast_like(t if _is_leaf(t) else at(t, path),
                                                  at(x, path)))


def _is_leaf(t):
    return not isinstance(t, (list, tuple, dict))


def shape_of(x):
    """`np.shape(x)`, without its detour through an array for arrays and numbers."""
    if isinstance(x, np.ndarray):
        return x.shape
    return () if isinstance(x, (int, float)) else np.shape(x)


def zeros_like(x):
    """`np.zeros_like(x)`, but the number 0.0 for a number: what compiled code resets a
    number's adjoint to, where `np.zeros_like` would allocate a 0-d array each time."""
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0


def empty_stack(like, count):
    """Room for the `count` values like `like` that a loop of known trip count stores: how
    compiled code keeps a stack, in one array rather than a list (of floats for numbers,
    which an int may become in a later iteration)."""
    return np.empty((count,) + shape_of(like), dtype=np.result_type(like, 1.0))


def shape_stack(like, count):
    """A stack of values a reversed loop reads only for their shapes (see `kept_shape`)."""
    return empty_stack(like, count)


def keep_shape(stack, k, value):
    """`stack[k] = value`, for a `shape_stack`: compiled code keeps no number."""
    stack[k] = value


def kept_shape(stack, k, value):
    """`stack[k]`, read only for its shape. Compiled code keeps no number in a
    `shape_stack` (a number's shape is known when it compiles), and gives back `value`,
    the number the name holds already."""
    return stack[k]


def getitem_adjoint(g, x, index):
    """`g`, the adjoint of `x[index]`, scattered into an array shaped like `x`."""
    if type(x) is list:  # of numbers, which NumPy's result_type does not take
        x = np.asarray(x)
    result = np.zeros(np.shape(x), dtype=np.result_type(x, g))
    parts = index if isinstance(index, tuple) else (index,)
    if all(isinstance(part, (int, np.integer, slice)) for part in parts):
        result[index] = g  # a basic index selects each element once
    else:
        np.add.at(result, index, g)  # an index array may select one element twice
    return result


def extremum_adjoint(g, x, y, axis=None, keepdims=False):
    """The adjoint of `y = np.max(x, ...)` (or min): to the extreme entries, split on ties."""
    if axis is not None and not keepdims:
        y = np.expand_dims(y, axis)
    at_extremum = x == y
    count = np.sum(at_extremum, axis=axis, keepdims=True, dtype=float_type(x))
    return sum_adjoint(g, x, axis, keepdims) * at_extremum / count


def sum_adjoint(g, x, axis=None, keepdims=False):
    """`g`, the adjoint of `np.sum(x, axis, keepdims)`, spread back over `x`'s shape."""
    if shape_of(g) == ():  # filled rather than broadcast: a small array is faster to read then
        result = np.empty(shape_of(x), dtype=float_type(x))
        result.fill(g)
        return result
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def within(x, low, high):
    """Where `np.clip(x, low, high)`, which is `minimum(maximum(x, low), high)`, passes `x`
    through (a bound of None: none; with `low > high` it gives `high`)."""
    if low is None:
        return x <= high
    if high is None:
        return x >= low
    return (x >= low) & (np.maximum(x, low) <= high)


def at_low(x, low, high):
    """Where `np.clip(x, low, high)` gives `low`."""
    return x < low if high is None else (x < low) & (low <= high)


def at_high(x, low, high):
    """Where `np.clip(x, low, high)` gives `high`."""
    return x > high if low is None else np.maximum(x, low) > high


def cast_like(g, x):
    """`g`, the gradient of the argument `x`, an array of `x`'s floating type, as JAX gives
    it: the float64 values a float32 argument meets do not make its gradient float64, nor
    does a 0-d argument get a number."""
    if type(g) is np.ndarray and type(x) is np.ndarray and g.dtype is x.dtype:
        return g  # the common case, first
    if type(x) is np.ndarray and x.dtype.kind == "f" and \
            (type(g) is not np.ndarray or g.dtype != x.dtype):
        return np.asarray(g, dtype=x.dtype)
    if isinstance(x, (list, tuple, dict)) and isinstance(g, (list, dict)):
        return cast_tree(g, x, cast_like)
    return g


def mean_adjoint(g, x, axis=None, keepdims=False):
    """`g`, the adjoint of `np.mean(x, axis, keepdims)`, shared among the entries each mean
    averaged, over `x`'s shape."""
    # A mean of no entries has an adjoint of none, whatever it is divided by.
    return sum_adjoint(g / (mean_count(x, axis) or 1), x, axis, keepdims)


def mean_count(x, axis=None):
    """How many entries of `x` each mean of `np.mean(x, axis)` averages."""
    shape = shape_of(x)
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))


def float_type(x):
    """The floating type of `x`'s gradient: its own, or float64 for integers and numbers."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind in "fc":
        return dtype
    if type(x) is list:  # of numbers, which NumPy's result_type does not take
        dtype = np.asarray(x).dtype
    return np.result_type(x if dtype is None else dtype, 1.0)


def result_like(*parts):
    """What an adjoint needs of an elementwise result of `parts` it did not compute: its
    shape and type. The first part itself when all are arrays alike."""
    first = parts[0]
    if type(first) is np.ndarray:
        shape, dtype = first.shape, first.dtype
        for part in parts[1:]:
            if type(part) is not np.ndarray or part.shape != shape or part.dtype is not dtype:
                break
        else:
            return first
    return ShapeAndType(np.broadcast_shapes(*map(shape_of, parts)),
                        np.result_type(*map(type_of, parts)))


def type_of(x):
    """What `np.result_type` needs of `x`: `x` itself, but a stand-in's type, and a list as
    an array."""
    if isinstance(x, (np.ndarray, np.generic, int, float, complex)):
        return x
    return x.dtype if isinstance(x, ShapeAndType) else np.asarray(x)


def uniform_adjoint(g, like):
    """The adjoint of a full sum of an elementwise result `like` stands for: the number `g`
    itself when `like` is an array (its operands were arrays of one shape and type), as
    every array the summand's adjoints meet then has that shape and broadcasts it; else
    `g` filled into the result's shape."""
    if type(like) is np.ndarray and (type(g) is float or shape_of(g) == ()):
        return float_type(like).type(g)
    return sum_adjoint(g, like)


def materialize(g, like):
    """`g` at `like`'s shape: an adjoint a number of `uniform_adjoint` reached, made an
    array again for an operand the sum did not leave out."""
    if type(g) is np.ndarray:
        return g
    shape = shape_of(like)
    return g if shape_of(g) == shape else np.full(shape, g)


class ShapeAndType:
    """An array's shape and type, as `np.shape`, `np.ndim`, `np.size` and `float_type`
    read them, without its values."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype
        self.ndim, self.size = len(shape), int(np.prod(shape))


def add_into(a, index, v):
    """`a[index] += v`, in place, and `a`: how a generated adjoint adds into part of an
    array of its own (`x_bar[1:] += v1_bar`) when it is differentiated again."""
    a[index] += v
    return a


def with_item(a, index, v):
    """`a` after `a[index] = v`, as a new array (or list): the derivative reads the values
    the function held before the write, which a write in place would lose."""
    if type(a) is list:  # of numbers, made as `[0.0] * n`
        new = list(a)
        new[index] = v
        return new
    if type(a) is not np.ndarray:
        a[index] = v  # Python's own error: a number does not support item assignment
    _require_each_element_once(index)
    new = a.copy()
    new[index] = v
    return new


def item_tangent(a_dot, a, index, v_dot):
    """The tangent of `with_item(a, index, v)`: `a_dot` (zeros where it is a symbolic
    zero) with `v_dot` written at `index`."""
    if type(a_dot) is not np.ndarray:
        a_dot = np.zeros(np.shape(a), dtype=np.result_type(float_type(a), v_dot))
    return with_item(a_dot, index, v_dot)


def _require_each_element_once(index):
    """An index that names an element twice keeps the last value written there; its
    derivative would take them all."""
    if type(index) in (int, slice):
        return
    for part in index if isinstance(index, tuple) else (index,):
        if isinstance(part, np.ndarray) and part.dtype != bool and \
                np.unique(part).size != part.size:
            raise DifferentiationError("this write names an element twice (an index array "
                                       f"with repeats: {part.tolist()}); ast_ad cannot "
                                       "differentiate which write Python keeps")


def concatenate_part(g, pieces, i, axis=0):
    """The part of `g`, the adjoint of `np.concatenate(pieces, axis)`, due to `pieces[i]`."""
    if axis is None:
        start, stop = _flat_span(pieces, i)
        return np.reshape(np.ravel(g)[start:stop], np.shape(pieces[i]))
    return g[_concatenate_index(pieces, i, axis)]


def concatenate_part_adjoint(h, g, pieces, i, axis=0):
    """`h`, the adjoint of `concatenate_part(g, pieces, i, axis)`, in its place among zeros."""
    result = np.zeros(np.shape(g), dtype=np.result_type(g, h))
    if axis is None:
        start, stop = _flat_span(pieces, i)
        result.reshape(-1)[start:stop] = np.ravel(h)
    else:
        result[_concatenate_index(pieces, i, axis)] = h
    return result


def _concatenate_index(pieces, i, axis):
    return _joined_index([np.shape(piece) for piece in pieces], i, axis % np.ndim(pieces[i]))


def _joined_index(shapes, i, axis):
    """Where piece `i`, of these shapes joined along `axis` (not negative), sits."""
    start = sum(shape[axis] for shape in shapes[:i])
    return (slice(None),) * axis + (slice(start, start + shapes[i][axis]),)


def joined_part(g, pieces, i, how):
    """The part of `g`, the adjoint of `np.hstack(pieces)`, `np.vstack`, `np.column_stack`
    or `np.dstack` (`how`), due to `pieces[i]`, at that piece's shape."""
    shapes, axis = _joined(pieces, how)
    return np.reshape(g[_joined_index(shapes, i, axis)], np.shape(pieces[i]))


def joined_part_adjoint(h, g, pieces, i, how):
    """`h`, the adjoint of `joined_part(g, pieces, i, how)`, in its place among zeros."""
    shapes, axis = _joined(pieces, how)
    result = np.zeros(np.shape(g), dtype=np.result_type(g, h))
    result[_joined_index(shapes, i, axis)] = np.reshape(h, shapes[i])
    return result


def _joined(pieces, how):
    """The shapes `np.hstack`, `np.vstack`, `np.column_stack` or `np.dstack` gives the pieces
    before it concatenates them (`np.atleast_1d`, `np.atleast_2d`, a vector as a column,
    `np.atleast_3d`), and the axis it concatenates them along."""
    shapes = [np.shape(piece) for piece in pieces]
    if how == "vstack":
        return [(1,) * (2 - len(shape)) + shape for shape in shapes], 0
    if how == "column_stack":
        return [{0: (1, 1), 1: shape + (1,)}.get(len(shape), shape) for shape in shapes], 1
    if how == "dstack":
        return [{0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}.get(len(shape), shape)
                for shape in shapes], 2
    shapes = [shape or (1,) for shape in shapes]
    return shapes, 0 if len(shapes[0]) == 1 else 1


def _flat_span(pieces, i):
    start = sum(np.size(piece) for piece in pieces[:i])
    return start, start + np.size(pieces[i])


def cumsum_adjoint(g, x, axis=None):
    """`g`, the adjoint of `np.cumsum(x, axis)`: each entry's sum of `g` from its place to
    the end, in `x`'s shape (`axis=None` runs over `x` flattened)."""
    if axis is None:
        return np.reshape(np.cumsum(np.ravel(g)[::-1])[::-1], shape_of(x))
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def diff_adjoint(g, x, n=1, axis=-1):
    """`g`, the adjoint of `np.diff(x, n, axis)`, in `x`'s shape: each difference sends its
    adjoint to its later entry, and its negation to its earlier one, `n` times."""
    if n >= shape_of(x)[axis]:  # nothing was left to difference
        return np.zeros(shape_of(x), dtype=np.result_type(g, float_type(x)))
    pad = [(0, 0)] * np.ndim(g)
    pad[axis] = (1, 1)
    for _ in range(n):
        g = -np.diff(np.pad(g, pad), axis=axis)
    return g


def sorted_like(t, x, axis=-1):
    """`t` in the order `np.sort(x, axis)` puts the entries of `x` (ties kept in order)."""
    t = np.broadcast_to(t, shape_of(x))
    if axis is None:
        return np.ravel(t)[np.argsort(x, axis=None, kind="stable")]
    return np.take_along_axis(t, np.argsort(x, axis=axis, kind="stable"), axis=axis)


def unsorted_like(g, x, axis=-1):
    """`g`, the adjoint of `np.sort(x, axis)`, put back where each entry of `x` was."""
    result = np.empty(shape_of(x), dtype=np.result_type(g, float_type(x)))
    if axis is None:
        result.reshape(-1)[np.argsort(x, axis=None, kind="stable")] = g
    else:
        np.put_along_axis(result, np.argsort(x, axis=axis, kind="stable"), g, axis=axis)
    return result


def astype(x, dtype):
    """`x.astype(dtype)`: an array's method, as a function that has rules."""
    return np.asarray(x).astype(dtype)


def keeps_derivatives(dtype):
    """1.0 if a value cast to `dtype` keeps its derivative (a floating type), else 0.0: an
    integer's is zero, as in JAX."""
    return 1.0 if np.dtype(dtype).kind in "fc" else 0.0


def norm_adjoint(g, x, ord, axis=None, keepdims=False):
    """`g`, the adjoint of `np.linalg.norm(x, ord, axis, keepdims)`, for the orders whose
    norm is linear where it has a derivative: 1, inf and -inf of vectors, and 1, -1, inf
    and -inf of matrices (the largest or smallest absolute sum of a column or a row). On
    a tie the adjoint is shared, as `max` shares it."""
    x = np.asarray(x)
    axes = _norm_axes(x, axis)
    if np.ndim(g) and not keepdims and axis is not None:
        g = np.expand_dims(g, axes)
    if len(axes) == 1 and ord in (1, np.inf, -np.inf):
        if ord == 1:
            return g * np.sign(x)
        return g * _shared_extreme(np.abs(x), np.sign(x), axes, ord > 0)
    if len(axes) == 2 and ord in (1, -1, np.inf, -np.inf):
        rows, columns = axes
        summed = rows if ord in (1, -1) else columns  # a column's sum runs over the rows
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        return g * _shared_extreme(sums, np.sign(x), (axes[1] if summed == rows else rows,),
                                   ord > 0)
    raise DifferentiationError(
        f"ast_ad differentiates np.linalg.norm of ord None, 2 and 'fro' written as such in "
        f"the call, and of ord 1, -1, inf and -inf; not ord={ord!r} of "
        f"{'a matrix' if len(axes) == 2 else 'a vector'}")


def _norm_axes(x, axis):
    if axis is None:
        return tuple(range(x.ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(a % x.ndim for a in axes)


def _shared_extreme(values, signs, axes, largest):
    """`signs` where `values` is at its largest (smallest) along `axes`, shared on a tie."""
    extreme = (np.max if largest else np.min)(values, axis=axes, keepdims=True)
    at = values == extreme
    return signs * at / np.sum(at, axis=axes, keepdims=True)


def euclidean(x, axis=None):
    """`x`, for a norm of ord 2 written in the call: raises where it is a matrix's 2-norm
    (its largest singular value), which ast_ad does not differentiate."""
    if (axis is None and np.ndim(x) == 2) or (isinstance(axis, tuple) and len(axis) == 2):
        raise DifferentiationError(
            "ast_ad differentiates np.linalg.norm of ord 2 of vectors, not of matrices (the "
            "largest singular value); for Frobenius' norm give ord='fro'")
    return x


def einsum_adjoint_spec(spec, i, x1, x2=None, x3=None, x4=None, x5=None):
    """The subscripts of the `np.einsum` that takes the adjoint of `np.einsum(spec, x1)`
    (or of two to five operands) back to operand `i`: the result's and the other
    operands' in, operand `i`'s that appear there out (any other is summed in operand `i`
    alone: `spread_einsum` broadcasts it)."""
    inputs, output = _einsum_letters(spec, _operands(x1, x2, x3, x4, x5))
    others = [inputs[j] for j in range(len(inputs)) if j != i]
    return f"{','.join([output] + others)}->{_einsum_kept(inputs, output, i)}"


def spread_einsum(r, spec, i, x1, x2=None, x3=None, x4=None, x5=None):
    """`r`, operand `i`'s adjoint at the letters `einsum_adjoint_spec` keeps, broadcast
    over those operand `i` sums alone, put on the diagonal where a letter repeats in it
    (`'ii'`), and summed back where NumPy broadcast it."""
    x, target, unique, missing, shape = _einsum_spread(r, spec, i, x1, x2, x3, x4, x5)
    if missing:
        r = np.broadcast_to(np.expand_dims(r, missing), shape)
    if len(unique) < len(target):  # each repeated letter's entries: the diagonal's
        full = np.zeros([shape[unique.index(c)] for c in target], np.result_type(r, 1.0))
        full[_diagonal(target, unique, shape)] = r
        r = full
    return unbroadcast(r, x)


def gather_einsum(h, r, spec, i, x1, x2=None, x3=None, x4=None, x5=None):
    """`h`, the adjoint of `spread_einsum(r, spec, i, x1, ...)`, at `r`'s shape."""
    _, target, unique, missing, shape = _einsum_spread(r, spec, i, x1, x2, x3, x4, x5)
    if len(unique) < len(target):
        h = np.broadcast_to(h, [shape[unique.index(c)] for c in target])
        h = h[_diagonal(target, unique, shape)]
    h = np.broadcast_to(h, shape)
    return np.sum(h, axis=missing) if missing else h


def _diagonal(target, unique, shape):
    """The index of the entries of an operand with subscripts `target` whose repeated
    letters agree, arranged by the letters of `unique` (of sizes `shape`)."""
    grids = np.indices(shape, sparse=True)
    return tuple(grids[unique.index(c)] for c in target)


def _einsum_spread(r, spec, i, x1, x2, x3, x4, x5):
    """Operand `i`; its subscripts, and their letters once each; the axes of those letters
    that `r` lacks; and the shape `r` spreads to, a size a letter: its own sizes, and
    operand `i`'s along the axes it lacks."""
    operands = _operands(x1, x2, x3, x4, x5)
    inputs, output = _einsum_letters(spec, operands)
    target, kept = inputs[i], _einsum_kept(inputs, output, i)
    unique = "".join(dict.fromkeys(target))
    x = operands[i]
    sizes = dict(zip(kept, np.shape(r)))
    sizes.update((c, n) for c, n in zip(target, np.shape(x)) if c not in sizes)
    shape = tuple(sizes[c] for c in unique)
    return x, target, unique, tuple(k for k, c in enumerate(unique) if c not in kept), shape


def _operands(*given):
    return tuple(x for x in given if x is not None)


def _einsum_kept(inputs, output, i):
    elsewhere = set(output).union(*(inputs[j] for j in range(len(inputs)) if j != i))
    return "".join(c for c in dict.fromkeys(inputs[i]) if c in elsewhere)


def _einsum_letters(spec, operands):
    """`spec` with its implicit output made explicit and each `...` as letters of its own:
    the operands' subscripts and the output's."""
    spec = spec.replace(" ", "")
    given, arrow, output = spec.partition("->")
    inputs = given.split(",")
    used = set(spec) - set(".,->")
    free = (c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
    longest = max((np.ndim(x) - len(s.replace("...", "")) for s, x in zip(inputs, operands)
                   if "..." in s), default=0)
    ellipsis = "".join(next(free) for _ in range(longest))
    inputs = [s.replace("...", ellipsis[longest - (np.ndim(x) - len(s.replace("...", ""))):])
              for s, x in zip(inputs, operands)]
    if not arrow:
        counts = collections.Counter("".join(inputs))
        output = ellipsis + "".join(sorted(c for c in counts if counts[c] == 1
                                           and c not in ellipsis))
    return inputs, output.replace("...", ellipsis)


def _output_leaves(out, path=()):
    """The arrays of a tangent function's output, each with its path: one, at `()`, or,
    for a derivative differentiated again, the leaves of a gradient's containers."""
    if isinstance(out, dict):
        for key, item in out.items():
            yield from _output_leaves(item, path + (key,))
    elif isinstance(out, (list, tuple)):
        for k, item in enumerate(out):
            yield from _output_leaves(item, path + (k,))
    else:
        yield path, np.array(out)


def spread_root(variance):
    """`np.sqrt(variance)`, the standard deviation of a variance: where it is 0 (equal
    entries), so is its derivative, which `np.sqrt`'s would make nan (0 times inf)."""
    return np.sqrt(variance)


def reciprocal_or_zero(y):
    """`1 / y`, and 0 where `y` is 0: the slope of a norm or a spread where it has none (at a
    kink, as `abs` has slope 0 at 0), so that an adjoint of zero stays zero there."""
    with np.errstate(divide="ignore"):
        return np.where(y == 0, 0.0, 1.0 / y)


def reading_order(x, order):
    """The order in which `np.reshape(x, shape, order)` reads `x`: 'A' is Fortran's for an
    array laid out in it, else C's."""
    if order == "A":
        return "F" if np.isfortran(x) else "C"
    return order


def whole_gradient(tangent, args, keywords, has_aux=False, effect=None, **seeds):
    """What `tangent`, a tangent function of array code, returns when each seed left out
    asks for the whole derivative along its parameter, as reverse mode gives it: one
    sweep along each element of the parameter (of each array in it, for a list, tuple or
    dict of arrays). For an array output that is the Jacobian, of shape
    `out.shape + parameter.shape`, as `jax.jacfwd` gives. `seeds`: name -> (the
    parameter, the seed given or None). With `has_aux`, `tangent` returns `(result, aux)`,
    and so does this, with the aux of the first sweep. `effect`, the file and line of a
    call with effects in the function, is refused where it would run more than once."""
    given = {name: seed for name, (_, seed) in seeds.items() if seed is not None}
    zeros = {name: zeros_like_tree(value) if isinstance(value, (list, tuple, dict)) else
             np.zeros(shape_of(value), float_type(value))
             for name, (value, seed) in seeds.items() if seed is None}
    directions = {name: list(leaves(zero)) for name, zero in zeros.items()}
    count = sum(part.size for found in directions.values() for _, part in found)
    if effect is not None and bool(given) + count > 1:
        missing = ", ".join(zeros)
        raise DifferentiationError(format_message(
            f"{tangent.__name__} needs a direction ({missing}): its whole gradient takes one "
            "sweep along each element, and each would run this call again, which has "
            "effects; give the seed, or use reverse mode for the gradient", *effect))
    auxes = []  # with has_aux, each sweep's

    def sweep(chosen):
        directions = {name: typed_like(zero, seeds[name][0])
                      for name, zero in {**zeros, **chosen}.items()}
        out = tangent(*args, **keywords, **given, **directions)
        if has_aux:
            out, aux = out
            auxes.append(aux)
        return out

    order = list(seeds)
    several = len(order) > 1  # a tangent each, in a tuple (one may be a namedtuple itself)
    first = sweep({}) if given or not count else None
    results = [None] * len(order)
    if first is not None:
        results = list(first) if several else [first]
    for name, zero in zeros.items():
        value, k, parts, outs = seeds[name][0], order.index(name), {}, None
        for path, direction in directions[name]:
            flat, columns = direction.reshape(-1), []
            for i in range(direction.size):
                flat[i] = 1.0
                out = sweep({name: zero})
                first = out if first is None else first
                outs = out[k] if several else out
                columns.append(dict(_output_leaves(outs)))
                flat[i] = 0.0
            if outs is None:
                outs = results[k]
            leaf = at(value, path)
            for place, example in _output_leaves(outs):
                out_shape = np.shape(example)
                derivative = np.stack([c[place] for c in columns], axis=-1).reshape(
                    out_shape + direction.shape) if columns else \
                    np.zeros(out_shape + direction.shape, direction.dtype)
                if not out_shape:  # a gradient: of the parameter's type, as reverse mode gives
                    derivative = derivative.astype(direction.dtype, copy=False)
                parts.setdefault(place, {})[path] = derivative if derivative.ndim or \
                    isinstance(leaf, np.ndarray) else derivative.item()

        def of_input(place):
            """The derivatives of one leaf of the output, in the input's containers."""
            if not isinstance(value, (list, tuple, dict)):
                return parts[place][()]
            return cast_tree(built(zeros_like_tree(value), parts[place]), value, cast_like)

        results[k] = rebuilt(outs, of_input)
    result = tuple(results) if several else results[0]
    return (result, auxes[0]) if has_aux else result

"""The gradient of a container parameter (a pytree), in the container's shape."""

from ast_ad.errors import DifferentiationError


def gradient_like(container, gradients):
    """A container shaped as `container` (dicts, lists, tuples, namedtuples, NumPy arrays
    read by index, nested), with the values of `gradients` at their paths, and a zero of
    each other value's type elsewhere, as `jax.grad` gives it. A path is the tuple of keys,
    indices and fields that leads to the value: `("layers", 0, "w")`. A value a
    namedtuple's field and its index both read gets the sum of the two."""
    return _built(container, (), gradients)


def _built(value, path, found):
    if path in found:
        return found[path]
    below = [p for p in found if p[:len(path)] == path]
    if not below:
        return _zero(value)
    if isinstance(value, dict):
        return type(value)((k, _built(v, path + (k,), found)) for k, v in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a namedtuple
        return type(value)(*(_aliased(v, path + (f,), path + (k,), found)
                             for k, (f, v) in enumerate(zip(value._fields, value))))
    if isinstance(value, (list, tuple)):
        return type(value)(_built(v, path + (k,), found) for k, v in enumerate(value))
    if type(value).__name__ == "ndarray" and all(isinstance(p[len(path)], int) for p in below):
        gradient = _zero(value)
        for k in sorted({p[len(path)] for p in below}):
            gradient[k] = _built(value[k], path + (k,), found)
        return gradient
    raise DifferentiationError(
        f"the function reads {_shown(below[0])} of a container parameter, but the value "
        f"at {_shown(path) or 'the top'} is {type(value).__name__}, which ast_ad cannot "
        "give a gradient the same shape: pass dicts, lists, tuples, namedtuples and arrays")


def _aliased(value, by_field, by_index, found):
    """A namedtuple's value, read by its field, by its index, or by both."""
    fields = [p for p in found if p[:len(by_field)] == by_field]
    indices = [p for p in found if p[:len(by_index)] == by_index]
    if fields and indices:
        if by_field in found and by_index in found:
            return found[by_field] + found[by_index]
        raise DifferentiationError(
            f"the function reads {_shown(by_field)} both by its field and by its index, "
            "and inside it: read it one way")
    return _built(value, by_field if fields else by_index, found)


def _shown(path):
    return "".join(f".{key}" if isinstance(key, str) and key.isidentifier() else f"[{key!r}]"
                   for key in path)


def _zero(value):
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return 0.0
    if type(value).__name__ == "ndarray" or hasattr(value, "dtype"):
        import numpy

        return numpy.zeros(numpy.shape(value), numpy.result_type(value, 1.0))
    return None  # not a number: no gradient, as for an integer


def zeros_like_tree(value):
    """The zero adjoint of `value`, an array or number, or a list, tuple or dict of them
    read item by item: lists stand for tuples, for `add_to_item` to add into, and
    `cast_like` gives the tuples back."""
    if isinstance(value, dict):
        return {key: zeros_like_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [zeros_like_tree(item) for item in value]
    return _zero(value)


def add_to_item(total, index, value, like=None):
    """A new adjoint: `total` with `value`, the adjoint of `x[index]`, added to its item
    at `index`. `total` is left as it was: a reversed loop may still read it. A tangent
    rule passes `like`, shaped as the result, for a `total` that is a zero number."""
    if like is not None and not isinstance(total, (list, dict)) and not getattr(total, "ndim", 0):
        total = zeros_like_tree(like)
    if isinstance(total, (list, dict)):
        result = type(total)(total)
        result[index] = add_trees(result[index], value)
        return result
    import numpy

    result = numpy.array(total, dtype=numpy.result_type(total, value))
    parts = index if isinstance(index, tuple) else (index,)
    if all(isinstance(part, (int, numpy.integer, slice)) for part in parts):
        result[index] += value  # a basic index selects each element once
    else:
        numpy.add.at(result, index, value)
    return result


def field_position(value, name):
    """The position of the field `name` of `value`, a namedtuple, in its adjoint, the list
    `zeros_like_tree` made of it."""
    return type(value)._fields.index(name)


def keys_of(mapping):
    """The keys of a dict, as a list: what a loop over one of its views runs over."""
    return list(mapping.keys())


def add_trees(a, b):
    """`a + b` of two adjoints of one value, leaf by leaf: a list's `+` would join them."""
    if isinstance(a, dict):
        return {key: add_trees(a[key], b[key]) for key in a}
    if isinstance(a, (list, tuple)):
        return [add_trees(x, y) for x, y in zip(a, b)]
    if a is None:  # the zero of a value with no gradient, such as an integer
        return b
    return a if b is None else a + b


def cast_tree(gradient, value, cast_leaf):
    """`gradient`, made by the helpers above, in the containers of `value`: tuples and
    namedtuples again, each leaf cast by `cast_leaf` (`cast_like`)."""
    if isinstance(value, dict):
        return type(value)((key, cast_leaf(gradient[key], item)) for key, item in value.items())
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(cast_leaf(g, item) for g, item in zip(gradient, value)))
    return type(value)(cast_leaf(g, item) for g, item in zip(gradient, value))


def leaves(value, path=()):
    """The arrays in `value`, which `zeros_like_tree` made, each with its path: a number's
    zero becomes a 0-d array, in place, so that a sweep can set it."""
    import numpy

    if isinstance(value, dict):
        for key in value:
            if isinstance(value[key], float):
                value[key] = numpy.zeros(())
            yield from leaves(value[key], path + (key,))
    elif isinstance(value, list):
        for k in range(len(value)):
            if isinstance(value[k], float):
                value[k] = numpy.zeros(())
            yield from leaves(value[k], path + (k,))
    elif isinstance(value, numpy.ndarray):
        yield path, value


def built(tree, parts):
    """`tree`, made by `zeros_like_tree`, with the value of `parts` at each path."""
    for path, part in parts.items():
        at(tree, path[:-1])[path[-1]] = part
    return tree


def rebuilt(template, of_leaf, path=()):
    """`template`'s containers, their types kept, with `of_leaf(path)` at each leaf (a
    number, an array, anything not a container)."""
    if isinstance(template, dict):
        return type(template)((key, rebuilt(item, of_leaf, path + (key,)))
                              for key, item in template.items())
    if isinstance(template, tuple) and hasattr(template, "_fields"):
        return type(template)(*(rebuilt(item, of_leaf, path + (k,))
                                for k, item in enumerate(template)))
    if isinstance(template, (list, tuple)):
        return type(template)(rebuilt(item, of_leaf, path + (k,))
                              for k, item in enumerate(template))
    return of_leaf(path)


def typed_like(tree, template):
    """`tree`, a direction made in lists and dicts by `zeros_like_tree`, in the containers
    of `template` (a tuple, a namedtuple, whose fields the function may read by name);
    its arrays are the same, which a sweep sets in place. A number for `tree` is a zero
    tangent: zeros in `template`'s containers. An array read item by item in code on
    numbers gets an array of its floating type, as JAX gives."""
    if type(template).__name__ == "ndarray" and isinstance(tree, list):
        import numpy

        return numpy.array(tree, dtype=numpy.result_type(template, 1.0))
    if not isinstance(template, (list, tuple, dict)):
        return tree
    if not isinstance(tree, (list, tuple, dict)):  # a zero tangent, as a number
        tree = zeros_like_tree(template)
    return rebuilt(template, lambda path: at(tree, path))


def at(tree, path):
    """The value at `path` (keys and indices) in `tree`."""
    for step in path:
        tree = tree[step]
    return tree


def truncate(xs, length):
    """`del xs[length:]`: a generated adjoint's cut of a list back to the length it had
    when a loop's iteration began, before the iteration runs again and appends anew."""
    del xs[length:]

"""Derivative templates: parsed once, expanded with the names of one trace statement.

A template is a short Python function, `def sin(y, x): d[x] = d[y] * math.cos(x)`:
its first parameter is the primal result, the rest the inputs in call order, and
`d[name]` is the derivative of `name` (the adjoint in a reverse rule, the tangent in
a forward rule). Expansion substitutes the statement's atoms for the parameters, the
derivative names for `d[...]`, fresh names for the template's own locals, and marks
every other name as `bind`: an object of the rules' module that the generated code
must be able to reach.

A derivative that does not exist (a constant or an input not differentiated) is a
symbolic zero: terms that multiply it vanish, sums drop it, and a contribution that
is entirely zero is not emitted, as JAX does with its symbolic zeros.
"""

import inspect
import textwrap

import gast

from ast_ad import rules
from ast_ad.errors import DifferentiationError, format_message
from ast_ad.ir import annotations as anno
from ast_ad.ir import nodes
from ast_ad.ir.scope import MISSING, Scope


class Template:
    def __init__(self, function, fixed=None):
        self.function = function
        tree = gast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
        args = tree.args.args
        self.result = args[0].id
        self.inputs = [a.id for a in args[1:]]
        defaults = tree.args.defaults
        self.defaults = dict(zip(self.inputs[len(self.inputs) - len(defaults):], defaults))
        self.body = [s for s in tree.body if not isinstance(s, gast.Expr)]
        self.fixed = fixed or {}  # parameter -> the one value the template is right for
        self.locals = {s.targets[0].id for s in self.body if isinstance(s.targets[0], gast.Name)}
        self.derivatives = {n.slice.id for n in gast.walk(tree) if isinstance(n, gast.Subscript)
                            and isinstance(n.value, gast.Name) and n.value.id == "d"}
        self.scope = Scope(function)
        self.check_names(tree)

    def check_names(self, tree):
        """Refuse, where the rule is registered, a name the template cannot reach and a
        derivative of something that is neither its result nor an input: found only when
        a derivative is written, they would stop the transform with no word of the rule."""
        parameters = {self.result, *self.inputs}
        for node in gast.walk(tree):
            if isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                    node.value.id == "d" and not (isinstance(node.slice, gast.Name) and
                                                  node.slice.id in parameters):
                self.refuse(node, "`d[...]` takes the result or an input of the rule")
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                    node.id not in parameters | self.locals | {"d"} and \
                    self.scope.lookup(node.id) is MISSING:
                self.refuse(node, f"`{node.id}` is not defined where the rule is")

    def check_arity(self, primal):
        """Refuse a template whose inputs the primal cannot take, where it is registered."""
        try:
            signature = inspect.signature(primal)
        except (TypeError, ValueError):
            return  # a builtin without a signature: the calls will tell
        try:
            signature.bind(*self.inputs)
        except TypeError as error:
            raise DifferentiationError(
                f"the rule {self.function.__qualname__} takes the inputs "
                f"({', '.join(self.inputs)}), which "
                f"{getattr(primal, '__name__', primal)}{signature} cannot take: {error}") \
                from None

    def refuse(self, node, message):
        code = self.function.__code__
        raise DifferentiationError(format_message(
            f"the rule {self.function.__qualname__}: {message}", code.co_filename,
            code.co_firstlineno + getattr(node, "lineno", 1) - 1))

    def accepts(self, args, keywords):
        """Whether a call with these positional arguments and keywords (atoms) fits."""
        if len(args) > len(self.inputs):
            return False
        given = dict(zip(self.inputs, args), **keywords)
        return set(keywords) <= set(self.inputs) and all(
            name in given or name in self.defaults for name in self.inputs) and all(
            _is_constant(given[name], value) for name, value in self.fixed.items()
            if name in given)

    def bind_inputs(self, args, keywords):
        """The atom for each input parameter, from a call's arguments and the defaults."""
        bound = dict(zip(self.inputs, args))
        bound.update(keywords)
        for name, default in self.defaults.items():
            bound.setdefault(name, anno.copy_tree(default))
        return bound


def _is_constant(atom, value):
    """Whether `atom` is the constant `value`: `2.0` is the number 2, not a bool."""
    if not isinstance(atom, gast.Constant):
        return False
    numbers = (int, float)
    if type(atom.value) in numbers and type(value) in numbers:
        return atom.value == value
    return type(atom.value) is type(value) and atom.value == value


def expand(template, result, inputs, derivative, namer):
    """The template's statements for one trace statement.

    Args:
        result: the name the primal statement assigns.
        inputs: the atom of each input parameter.
        derivative: maps a parameter to its derivative (a name or a node), or None for a
            zero.
        namer: gives the template's own locals fresh names.

    Returns:
        `(target, expression)` pairs in template order; `target` is `("d", parameter)`
        for a contribution to a derivative, else the name of a fresh local.
    """
    renamed = {name: namer.claim(name) for name in sorted(template.locals)}
    expansion = _Expansion(template, result, inputs, derivative, renamed)
    expanded = []
    for stmt in template.body:
        value = _simplify(anno.copy_tree(stmt.value, replace=expansion.replacement))
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript):
            if _is_zero(value):
                continue
            expanded.append((("d", target.slice.id), value))
        else:
            expanded.append((renamed[target.id], value))
    return expanded


class _Expansion:
    """Puts a trace statement's names and derivatives in a copy of a template expression."""

    def __init__(self, template, result, inputs, derivative, renamed):
        self.template, self.result, self.inputs = template, result, inputs
        self.derivative, self.renamed = derivative, renamed

    def replacement(self, node):
        """What takes the place of `node` in the copy: None for a node copied as it is."""
        kind = type(node)
        if kind is gast.Name:
            return self.name(node)
        if kind is gast.Subscript and type(node.value) is gast.Name and node.value.id == "d":
            found = self.derivative(node.slice.id)
            if found is None:
                return _zero()
            return nodes.load(found) if isinstance(found, str) else anno.copy_tree(found)
        return None

    def name(self, node):
        if node.id == self.template.result:
            return nodes.load(self.result)
        if node.id in self.inputs:
            return anno.copy_tree(self.inputs[node.id])
        if node.id in self.renamed:
            return nodes.load(self.renamed[node.id])
        value = self.template.scope.lookup(node.id)
        assert value is not MISSING, f"template {self.template.function.__name__}: {node.id}"
        return nodes.bound(node.id, value)


def _zero():
    return anno.set(nodes.constant(0.0), "zero", True)


def _is_zero(node):
    return anno.get(node, "zero") is True


def _simplify(node):
    """Drop the symbolic zeros: 0 * e = e * 0 = 0 / e = 0, e + 0 = e - 0 = e, 0 - e = -e."""
    if isinstance(node, gast.BinOp):
        left, right = _simplify(node.left), _simplify(node.right)
        if isinstance(node.op, (gast.Mult, gast.Div)) and _is_zero(left):
            return left
        if isinstance(node.op, gast.Mult) and _is_zero(right):
            return right
        if isinstance(node.op, (gast.Add, gast.Sub)) and _is_zero(right):
            return left
        if isinstance(node.op, gast.Add) and _is_zero(left):
            return right
        if isinstance(node.op, gast.Sub) and _is_zero(left):
            return gast.UnaryOp(op=gast.USub(), operand=right)
        node.left, node.right = left, right
    elif isinstance(node, gast.UnaryOp):
        node.operand = _simplify(node.operand)
        if _is_zero(node.operand):
            return node.operand
    elif isinstance(node, gast.Call):
        node.args = [_simplify(arg) for arg in node.args]
        zeros = [arg for arg in node.args if _is_zero(arg)]
        if zeros and rules.is_linear(_bound_object(node.func)):
            return zeros[0]
    return node


def _bound_object(node):
    """The object a template's `np.matmul` or `unbroadcast` refers to, or None."""
    if isinstance(node, gast.Attribute):
        return getattr(_bound_object(node.value), node.attr, None)
    return anno.get(node, "bind")

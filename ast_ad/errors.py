"""The exceptions of ast_ad, and the formatting of a user's source location.

Every error names the user's `file:line`, quotes the line and says what to do.
"""

import linecache
import os


class DifferentiationError(Exception):
    """A function cannot be differentiated as asked."""


class UnsupportedSyntaxError(DifferentiationError, SyntaxError):
    """The function uses Python outside the subset ast_ad differentiates."""

    def __init__(self, message, filename, lineno, offset, text):
        SyntaxError.__init__(self, message, (filename, lineno, offset, text))
        self.message = message

    def __str__(self):
        return format_message(self.message, self.filename, self.lineno)


class NonDifferentiableError(DifferentiationError):
    """A differentiated value flows into a function that has no derivative rule."""


class Origin:
    """Where a function's source lives: file, first line and indentation."""

    def __init__(self, filename, name, indent=0):
        self.filename = filename
        self.name = name
        self.indent = indent

    def line_text(self, lineno):
        return linecache.getline(self.filename, lineno).rstrip("\n")

    def location(self, node):
        """`(filename, lineno, column, text)` of a node, as SyntaxError wants them."""
        lineno = getattr(node, "lineno", None) or 1
        column = getattr(node, "col_offset", 0) + self.indent + 1
        return self.filename, lineno, column, self.line_text(lineno)

    def unsupported(self, node, message):
        filename, lineno, column, text = self.location(node)
        return UnsupportedSyntaxError(message, filename, lineno, column, text)

    def error(self, node, message, cls=DifferentiationError):
        filename, lineno, _, _ = self.location(node)
        return cls(format_message(message, filename, lineno))


ARRAY_OUTPUT_ADVICE = ("differentiate needs a scalar output, as jax.grad does; for the "
                       "derivatives of an array output use ast_ad.jacobian(f) or "
                       "ast_ad.vjp(f, ...)")


def format_message(message, filename, lineno):
    """`file:line: message`, then the quoted source line."""
    shown = os.path.basename(filename) if filename and not filename.startswith("<") else filename
    text = linecache.getline(filename, lineno).strip() if filename else ""
    head, _, rest = message.partition("\n")
    lines = [f"{shown}:{lineno}: {head}"]
    if text:
        lines.append(f"    {text}")
    if rest:
        lines.append(rest)
    if filename and filename.startswith("<ast_ad "):
        lines.append("This is code ast_ad generated. For a second derivative, take the outer "
                     "derivative in forward mode: differentiate(grad_f, mode=\"forward\"); "
                     "through the adjoint list of a list the function builds, neither mode "
                     "can differentiate again yet.")
    return "\n".join(lines)

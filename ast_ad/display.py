"""How notebooks show what ast_ad makes: a generated function as its highlighted source,
a trace as tables (Jupyter calls `_repr_html_`)."""

import html


def source_html(text):
    """`text`, Python source, highlighted where Pygments is installed, else as it is."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f"<pre>{html.escape(text)}</pre>"
    return highlight(text, PythonLexer(), HtmlFormatter(noclasses=True))


def tables_html(title, sections):
    """`sections`: (heading, rows), each row the cells of one line of a table."""
    parts = [f"<p><b>{html.escape(title)}</b></p>"]
    for heading, rows in sections:
        cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                        for row in rows)
        parts.append(f"<table><caption>{html.escape(heading)}</caption>{cells}</table>")
    return "\n".join(parts)

"""Log-log line plots as SVG text, written by hand: the benchmarks need no plotting library."""

import math


def loglog_svg(series, title, x_ticks=None, legend=False, width=520, height=340, margin=60):
    """A log-log plot of `series`, each `(points, colour, label, dash)` with `points` a list
    of `(x, y)` and `dash` an SVG dash pattern ("" for a solid line), as SVG text.

    The x axis is marked at `x_ticks` (every x of the series when None), the y axis at each
    power of ten. Each line is labelled at its last point, or in a legend if `legend`.
    """
    x_values = sorted({x for points, *_ in series for x, _ in points})
    ticks = x_ticks or x_values
    left, right = math.log10(min(x_values + list(ticks))), math.log10(max(x_values + list(ticks)))
    ys = [math.log10(y) for points, *_ in series for _, y in points]
    low, high = math.floor(min(ys)), math.ceil(max(ys))
    high = high if high > low else low + 1

    def point(x, y):
        px = margin + (x - left) / (right - left) * (width - 2 * margin)
        py = height - margin - (y - low) / (high - low) * (height - 2 * margin)
        return f"{px:.1f},{py:.1f}"

    lines = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2}" y="20" text-anchor="middle">{title}</text>']
    for decade in range(low, high + 1):
        y = point(left, decade).split(",")[1]
        lines.append(f'<line x1="{margin}" x2="{width - margin}" y1="{y}" y2="{y}" '
                     'stroke="#ddd"/>')
        lines.append(f'<text x="{margin - 8}" y="{y}" text-anchor="end">1e{decade}</text>')
    for n in ticks:
        px = point(math.log10(n), low).split(",")[0]
        lines.append(f'<text x="{px}" y="{height - margin + 18}" text-anchor="middle">'
                     f'n = {n}</text>')
    for k, (points, colour, label, dash) in enumerate(series):
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        polyline = " ".join(point(math.log10(x), math.log10(y)) for x, y in points)
        lines.append(f'<polyline points="{polyline}" fill="none" stroke="{colour}" '
                     f'stroke-width="2"{dashed}/>')
        if legend:
            lines += _legend_entry(k, colour, label, dashed, margin)
            continue
        last = point(math.log10(points[-1][0]), math.log10(points[-1][1]))
        lines.append(f'<text x="{float(last.split(",")[0]) - 4}" '
                     f'y="{float(last.split(",")[1]) - 8}" text-anchor="end" '
                     f'fill="{colour}">{label}</text>')
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def _legend_entry(k, colour, label, dashed, margin):
    """One line of a legend in the plot's top left corner: a stroke and its label."""
    y = margin + 4 + 15 * k
    return [f'<line x1="{margin + 8}" x2="{margin + 38}" y1="{y}" y2="{y}" '
            f'stroke="{colour}" stroke-width="2"{dashed}/>',
            f'<text x="{margin + 44}" y="{y + 4}" fill="{colour}">{label}</text>']

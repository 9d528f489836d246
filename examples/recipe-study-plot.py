#!/usr/bin/env python3
"""Plot a recipe study's validation curves against training minutes.

    examples/recipe-study-plot.py OUT/runs plot.svg [--metric val_rand_error] [--title T]

Reads every RUN/metrics.jsonl under the runs folder (one folder per recipe,
as examples/recipe-study.sh writes them) and draws, for each recipe, its
validation rows' metric (the challenge's Rand error by default) against the
run's training minutes (`elapsed`: the training time summed over resumed
segments, without start-up and validation). The SVG needs no plotting
library. The last point of each curve is labelled with its value.
"""
import argparse
import json
import os
import sys
from html import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#aec7e8"]


def curves(runs, metric):
    found = {}
    for name in sorted(os.listdir(runs)):
        path = os.path.join(runs, name, "metrics.jsonl")
        if not os.path.isfile(path):
            continue
        points = []
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    sys.exit(f"recipe-study-plot: {path}:{number}: not JSON ({error})")
                if metric in row and "elapsed" in row:
                    points.append((row["elapsed"] / 60, row[metric]))
        if points:
            found[name] = points
    return found


def svg(found, metric, title, width=760, height=440):
    left, right, top, bottom = 60, 190, 36, 46
    xmax = max(x for points in found.values() for x, _ in points) or 1
    ymax = max(y for points in found.values() for _, y in points) or 1
    ymax = min(1.0, ymax * 1.05)
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x):
        return left + plot_w * x / xmax

    def sy(y):
        return top + plot_h * (1 - y / ymax)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14">{escape(title)}</text>']
    for i in range(6):
        y = ymax * i / 5
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
    for i in range(6):
        x = xmax * i / 5
        out.append(f'<text x="{sx(x):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{x:.0f}</text>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle">training minutes</text>')
    out.append(f'<text x="14" y="{top + plot_h / 2}" transform="rotate(-90 14 {top + plot_h / 2})" '
               f'text-anchor="middle">{escape(metric)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#444"/>')
    ranked = sorted(found.items(), key=lambda item: item[1][-1][1])
    for i, (name, points) in enumerate(ranked):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/>')
        ly = top + 14 + 16 * i
        out.append(f'<line x1="{left + plot_w + 10}" x2="{left + plot_w + 28}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{left + plot_w + 32}" y="{ly}">{escape(name)} {points[-1][1]:.3f}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs")
    parser.add_argument("output")
    parser.add_argument("--metric", default="val_rand_error")
    parser.add_argument("--title", default="Validation curves (sections 15-19)")
    args = parser.parse_args()
    if not os.path.isdir(args.runs):
        sys.exit(f"recipe-study-plot: {args.runs}: not a folder")
    found = curves(args.runs, args.metric)
    if not found:
        sys.exit(f"recipe-study-plot: {args.runs}: no run has {args.metric} rows")
    temporary = args.output + ".tmp"
    with open(temporary, "w") as f:
        f.write(svg(found, args.metric, args.title))
    os.replace(temporary, args.output)


if __name__ == "__main__":
    main()

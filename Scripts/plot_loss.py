#!/usr/bin/env python3
"""Draw a training loss curve (the CSV train_tiny_bitnet.py writes) as a standalone SVG.

  python3 Scripts/plot_loss.py models/bitnet-kjv-5m/loss.csv docs/loss-bitnet-kjv-5m.svg
"""
import csv, math, sys


def main(csv_path, svg_path, title="bitnet-kjv-5m: training loss"):
    rows = list(csv.DictReader(open(csv_path)))
    train = [(int(r["step"]), float(r["train_loss"])) for r in rows if r["train_loss"]]
    val = [(int(r["step"]), float(r["val_loss"])) for r in rows if r["val_loss"]]
    # a moving average over 20 steps: single batches are noisy
    smooth = [(s, sum(l for _, l in train[max(0, i - 19):i + 1]) / len(train[max(0, i - 19):i + 1])) for i, (s, _) in enumerate(train)]
    width, height, left, top, right, bottom = 640, 360, 56, 36, 20, 40
    max_step = max(s for s, _ in train)
    lo = math.floor(min(l for _, l in smooth + val)) - 0.5
    hi = math.ceil(max(l for _, l in smooth[5:] + val)) + 0.5
    x = lambda s: left + (width - left - right) * s / max_step
    y = lambda l: top + (height - top - bottom) * (hi - min(max(l, lo), hi)) / (hi - lo)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14">{title}</text>']
    for l in range(int(lo + 0.5), int(hi) + 1):
        out.append(f'<line x1="{left}" y1="{y(l):.1f}" x2="{width - right}" y2="{y(l):.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y(l) + 4:.1f}" text-anchor="end">{l}</text>')
    for i in range(0, 6):
        s = round(max_step * i / 5)
        out.append(f'<text x="{x(s):.1f}" y="{height - bottom + 16}" text-anchor="middle">{s}</text>')
    out.append(f'<text x="{(width + left) / 2}" y="{height - 6}" text-anchor="middle">step</text>')
    line = lambda pts, color, w: f'<polyline fill="none" stroke="{color}" stroke-width="{w}" points="' + \
        " ".join(f"{x(s):.1f},{y(l):.1f}" for s, l in pts) + '"/>'
    out.append(line(smooth, "#4e79a7", 1.5))
    out.append(line(val, "#e15759", 2))
    out.append(f'<text x="{width - right - 4}" y="{top + 12}" text-anchor="end" fill="#4e79a7">training (20-step mean)</text>')
    out.append(f'<text x="{width - right - 4}" y="{top + 26}" text-anchor="end" fill="#e15759">validation (held-out chapters), final {val[-1][1]:.3f}</text>')
    out.append("</svg>")
    open(svg_path, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])

/**
 * A small chart as inline SVG (no charting dependency: the report must be one self-contained
 * file). Lines, markers on the measured points (hollow with a cross where a point did not keep
 * up), whiskers for the spread across trials, horizontal reference lines (a bound, an offered
 * rate) and a shaded span (the warm-up). The SVG has a viewBox and width 100 %, so it scales to the
 * page's width; axes can be logarithmic; ticks are given by the caller or chosen as round numbers.
 */
export interface ChartPoint {
  x: number;
  y: number;
  /** The spread across trials: a whisker from low to high. */
  low?: number;
  high?: number;
  /** Drawn hollow with a cross: this point did not keep up. */
  failed?: boolean;
  /** Tooltip. */
  note?: string;
}

export interface Series {
  label: string;
  colour: string;
  points: ChartPoint[];
  dashed?: boolean;
  /** Markers on the points (default true). */
  markers?: boolean;
}

export interface ChartSpec {
  name: string; // data-plot attribute
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Ticks on x as [value, label]; default: round numbers over the data. */
  xTicks?: Array<[number, string]>;
  /** The y range to use (so that small multiples share one scale); default: from the data. */
  yDomain?: [number, number];
  /** Horizontal reference lines (the p99 bound, an offered rate). */
  hLines?: Array<{ y: number; label: string; kind: string }>;
  /** A shaded span of x (the warm-up). */
  xSpan?: { from: number; to: number; label: string };
  /** Extra attributes on the <svg> element (data-rate=…). */
  attributes?: Record<string, string>;
  /** Drawing size in viewBox units; the page scales it to its width. */
  width?: number;
  height?: number;
}

/** Clip-path ids, unique within a page. */
let clipIds = 0;
const M = { left: 64, right: 16, top: 30, bottom: 56 };

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const legendColumns = W < 600 ? 2 : 3;
  const legendRows = Math.ceil((spec.series.length + (spec.hLines?.length ?? 0) + 1) / legendColumns);
  const H = (spec.height ?? 340) + legendRows * 18;
  const plotBottom = H - M.bottom - legendRows * 18;
  const attrs = Object.entries(spec.attributes ?? {}).map(([k, v]) => ` ${k}="${esc(v)}"`).join('');
  const open = `<svg class="plot" data-plot="${spec.name}"${attrs} viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" role="img">`;
  const valid = (x: number, y: number) => Number.isFinite(x) && Number.isFinite(y) && (!spec.yLog || y > 0) && (!spec.xLog || x > 0);
  const pts = spec.series.flatMap((s) => s.points).filter((p) => valid(p.x, p.y));
  if (pts.length === 0) return `${open}<title>${esc(spec.title)}</title><text x="20" y="40">no data</text></svg>`;
  const tx = (x: number) => (spec.xLog ? Math.log10(x) : x);
  const ty = (y: number) => (spec.yLog ? Math.log10(y) : y);
  let [x0, x1] = extent(pts.map((p) => tx(p.x)));
  if (spec.xSpan) [x0, x1] = [Math.min(x0, tx(spec.xSpan.from)), Math.max(x1, tx(spec.xSpan.to))];
  const ys = [...pts.flatMap((p) => [p.y, p.high ?? p.y, p.low ?? p.y]), ...(spec.hLines ?? []).map((l) => l.y)].filter((y) => !spec.yLog || y > 0).map(ty);
  let [y0, y1] = spec.yDomain ? [ty(spec.yDomain[0]), ty(spec.yDomain[1])] : extent(ys);
  if (spec.yLog) [y0, y1] = [Math.floor(y0), Math.ceil(y1 + 1e-9)];
  else if (!spec.yDomain) [y0, y1] = [Math.min(0, y0), y1 * 1.08];
  if (spec.xLog) {
    const pad = (x1 - x0) * 0.08 || 0.15;
    [x0, x1] = [x0 - pad, x1 + pad];
  }
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) y1 = y0 + 1;
  const sx = (x: number) => M.left + ((tx(x) - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (y: number) => plotBottom - ((ty(y) - y0) / (y1 - y0)) * (plotBottom - M.top);
  const xTicks = spec.xTicks ?? (spec.xLog ? logTicks(x0, x1) : roundTicks(x0, x1)).map((v) => [v, shortNumber(v)] as [number, string]);
  const yTicks: Array<[number, string]> = spec.yLog ? logTicks(y0, y1).map((v) => [v, shortNumber(v)]) : roundTicks(y0, y1).map((v) => [v, shortNumber(v)]);
  const f = (n: number) => n.toFixed(1);

  const parts: string[] = [open, `<title>${esc(spec.title)}</title>`, `<text x="${M.left}" y="18" class="t">${esc(spec.title)}</text>`];
  if (spec.xSpan) {
    const a = sx(spec.xSpan.from);
    const b = sx(spec.xSpan.to);
    parts.push(`<rect class="span" x="${f(a)}" y="${M.top}" width="${f(Math.max(0, b - a))}" height="${f(plotBottom - M.top)}"/>`, `<text class="span-label" x="${f(a + 4)}" y="${M.top + 14}">${esc(spec.xSpan.label)}</text>`);
  }
  for (const [v, label] of xTicks) {
    const x = sx(v);
    if (x < M.left - 0.5 || x > W - M.right + 0.5) continue;
    parts.push(`<line x1="${f(x)}" x2="${f(x)}" y1="${M.top}" y2="${f(plotBottom)}" class="g"/>`, `<text x="${f(x)}" y="${f(plotBottom + 16)}" text-anchor="middle">${esc(label)}</text>`);
  }
  for (const [v, label] of yTicks) {
    const y = sy(v);
    if (y < M.top - 0.5 || y > plotBottom + 0.5) continue;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${f(y)}" y2="${f(y)}" class="g"/>`, `<text x="${M.left - 6}" y="${f(y + 4)}" text-anchor="end">${esc(label)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${f(plotBottom - M.top)}" class="frame"/>`);
  // Lines are clipped to the plot area (a shared scale may cut a curve's least interesting end).
  const clipId = `clip-${++clipIds}`;
  parts.push(`<clipPath id="${clipId}"><rect x="${M.left}" y="${M.top - 6}" width="${W - M.left - M.right + 6}" height="${f(plotBottom - M.top + 12)}"/></clipPath>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${f(plotBottom + 34)}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${f((M.top + plotBottom) / 2)}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  for (const line of spec.hLines ?? []) {
    if (spec.yLog && line.y <= 0) continue;
    const y = sy(line.y);
    if (y < M.top - 0.5 || y > plotBottom + 0.5) continue;
    parts.push(`<line class="ref ${esc(line.kind)}" data-ref="${esc(line.kind)}" x1="${M.left}" x2="${W - M.right}" y1="${f(y)}" y2="${f(y)}"><title>${esc(line.label)}</title></line>`);
  }
  parts.push(`<g clip-path="url(#${clipId})">`);
  for (const s of spec.series) {
    const points = s.points.filter((p) => valid(p.x, p.y));
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline class="series" data-series="${esc(s.label)}" fill="none" stroke="${s.colour}" stroke-width="2"${dash} points="${points.map((p) => `${f(sx(p.x))},${f(sy(p.y))}`).join(' ')}"/>`);
    for (const p of points) {
      if (p.low !== undefined && p.high !== undefined && (!spec.yLog || p.low > 0)) {
        const x = sx(p.x);
        parts.push(`<path class="whisker" stroke="${s.colour}" d="M${f(x)},${f(sy(p.low))}V${f(sy(p.high))}M${f(x - 4)},${f(sy(p.low))}h8M${f(x - 4)},${f(sy(p.high))}h8"/>`);
      }
    }
    if (s.markers === false) continue;
    for (const p of points) parts.push(marker(sx(p.x), sy(p.y), s.colour, p));
  }
  parts.push('</g>', legend(spec, W, plotBottom + 60, legendColumns));
  parts.push('</svg>');
  return parts.join('');
}

function marker(x: number, y: number, colour: string, p: ChartPoint): string {
  const tip = p.note ? `<title>${esc(p.note)}</title>` : '';
  if (p.failed) {
    return `<g class="marker failed" data-failed="true"><circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="5" fill="#fff" stroke="${colour}" stroke-width="2"/><path d="M${(x - 3.5).toFixed(1)},${(y - 3.5).toFixed(1)}l7,7m0,-7l-7,7" stroke="${colour}" stroke-width="1.5"/>${tip}</g>`;
  }
  return `<circle class="marker" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${colour}">${tip}</circle>`;
}

/** The legend below the plot, two or three entries a row: series, reference lines, and the marker for "did not keep up" when one is drawn. */
function legend(spec: ChartSpec, W: number, top: number, columns: number): string {
  const entries: string[] = [];
  for (const s of spec.series) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    entries.push(`<line x1="0" x2="24" y1="-4" y2="-4" stroke="${s.colour}" stroke-width="2"${dash}/>${s.markers === false ? '' : `<circle cx="12" cy="-4" r="3.5" fill="${s.colour}"/>`}<text x="30" y="0">${esc(s.label)}</text>`);
  }
  for (const l of spec.hLines ?? []) entries.push(`<line class="ref ${esc(l.kind)}" x1="0" x2="24" y1="-4" y2="-4"/><text x="30" y="0">${esc(l.label)}</text>`);
  if (spec.series.some((s) => s.points.some((p) => p.failed))) {
    entries.push(`<circle cx="12" cy="-4" r="5" fill="#fff" stroke="#555" stroke-width="2"/><path d="M8.5,-7.5l7,7m0,-7l-7,7" stroke="#555" stroke-width="1.5"/><text x="30" y="0">did not keep up</text>`);
  }
  const colW = (W - M.left) / columns;
  return `<g class="legend">${entries.map((e, i) => `<g transform="translate(${(M.left + (i % columns) * colW).toFixed(1)} ${top + Math.floor(i / columns) * 18})">${e}</g>`).join('')}</g>`;
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function extent(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

/** Decades within [from, to] of log10 values, as values; 1-2-5 steps when the range is short. */
function logTicks(from: number, to: number): number[] {
  const ticks: number[] = [];
  const steps = to - from <= 2 ? [1, 2, 5] : [1];
  for (let e = Math.floor(from); e <= Math.ceil(to); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      if (Math.log10(v) >= from - 1e-9 && Math.log10(v) <= to + 1e-9) ticks.push(Number(v.toPrecision(6)));
    }
  }
  return ticks;
}

function roundTicks(from: number, to: number): number[] {
  const step = 10 ** Math.floor(Math.log10((to - from) / 4 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (to - from) / s <= 6) ?? step * 10;
  const ticks: number[] = [];
  for (let v = Math.ceil(from / nice) * nice; v <= to + 1e-9; v += nice) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

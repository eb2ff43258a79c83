/**
 * A small line chart as inline SVG (no charting dependency: the report must be one self-contained
 * file). Axes can be logarithmic; ticks are given by the caller or chosen as round numbers.
 */
export interface Series {
  label: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface ChartSpec {
  name: string; // data-plot attribute
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  yLog?: boolean;
  /** Ticks on x as [value, label]; default: round numbers over the data. */
  xTicks?: Array<[number, string]>;
}

const W = 720;
const H = 360;
const M = { left: 70, right: 190, top: 34, bottom: 50 };
const colours = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf', '#7f7f7f'];

export function lineChart(spec: ChartSpec): string {
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.yLog || y > 0));
  if (pts.length === 0) return `<svg class="plot" data-plot="${spec.name}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(spec.title)}</title><text x="20" y="40">no data</text></svg>`;
  const ty = (y: number) => (spec.yLog ? Math.log10(y) : y);
  let [x0, x1] = extent(pts.map((p) => p[0]));
  let [y0, y1] = extent(pts.map((p) => ty(p[1])));
  if (spec.yLog) [y0, y1] = [Math.floor(y0), Math.ceil(y1)];
  else [y0, y1] = [Math.min(0, y0), y1 * 1.05];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) y1 = y0 + 1;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * (W - M.left - M.right);
  const sy = (y: number) => H - M.bottom - ((ty(y) - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const xTicks = spec.xTicks ?? roundTicks(x0, x1).map((v) => [v, shortNumber(v)] as [number, string]);
  const yTicks: Array<[number, string]> = spec.yLog
    ? range(y0, y1).map((e) => [10 ** e, shortNumber(10 ** e)])
    : roundTicks(y0, y1).map((v) => [v, shortNumber(v)]);

  const parts: string[] = [`<svg class="plot" data-plot="${spec.name}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" role="img">`];
  parts.push(`<title>${esc(spec.title)}</title>`, `<text x="${M.left}" y="20" class="t">${esc(spec.title)}</text>`);
  for (const [v, label] of xTicks) {
    const x = sx(v);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" class="g"/>`, `<text x="${x}" y="${H - M.bottom + 16}" text-anchor="middle">${esc(label)}</text>`);
  }
  for (const [v, label] of yTicks) {
    const y = sy(v);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" class="g"/>`, `<text x="${M.left - 6}" y="${y + 4}" text-anchor="end">${esc(label)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" class="frame"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    const colour = colours[i % colours.length];
    const points = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.yLog || y > 0));
    const d = points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${d}"/>`);
    const ly = M.top + 14 + i * 18;
    parts.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${W - M.right + 42}" y="${ly}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function extent(values: number[]): [number, number] {
  return [Math.min(...values), Math.max(...values)];
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v++) out.push(v);
  return out;
}

function roundTicks(from: number, to: number): number[] {
  const step = 10 ** Math.floor(Math.log10((to - from) / 4 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (to - from) / s <= 6) ?? step * 10;
  const ticks: number[] = [];
  for (let v = Math.ceil(from / nice) * nice; v <= to + 1e-9; v += nice) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

import { Resvg } from '@resvg/resvg-js';
import type { ScenarioResult } from './run-state';

interface Report {
  meta: { started_at: string; machine: { nproc: number; memory_gib: number; load_average_at_start: number[] } };
  physical_limit_per_second: number | null;
  results: Pick<ScenarioResult, 'title' | 'connections' | 'system' | 'ok_per_second' | 'p50_ms' | 'p99_ms'>[];
}

const COLORS = { mariadb: '#7f7f7f', plain: '#1f77b4', floor: '#2ca02c', service: '#ff7f0e' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Horizontal log-scale bars: one panel of throughput, one of p50/p99 latency. */
function panel(
  rows: { label: string; color: string; values: { v: number; shade: number }[] }[],
  x0: number,
  y0: number,
  width: number,
  title: string,
  unit: string,
  marker?: { v: number; label: string },
): { svg: string; height: number } {
  const labelW = 400;
  const barH = 16;
  const gap = 8;
  const plotW = width - labelW - 70;
  const all = rows.flatMap((r) => r.values.map((x) => x.v)).filter((v) => v > 0);
  // One decade below the smallest value, so that even the smallest bar has a length.
  const lo = 10 ** Math.max(0, Math.ceil(Math.log10(Math.max(1, Math.min(...all, marker?.v ?? Infinity)))) - 1);
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, marker?.v ?? 0, 10)));
  const sx = (v: number) =>
    x0 + labelW + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const parts = [`<text x="${x0}" y="${y0 + 16}" font-size="16" font-weight="bold">${esc(title)}</text>`];
  let y = y0 + 34;
  const top = y;
  for (const r of rows) {
    const h = barH * r.values.length;
    parts.push(
      `<text x="${x0 + labelW - 8}" y="${y + h / 2 + 4}" font-size="12" text-anchor="end">${esc(r.label)}</text>`,
    );
    r.values.forEach((val, i) => {
      const w = Math.max(1, sx(val.v) - sx(lo));
      parts.push(
        `<rect x="${sx(lo)}" y="${y + i * barH}" width="${w}" height="${barH - 2}" fill="${r.color}" fill-opacity="${val.shade}"/>`,
        `<text x="${sx(lo) + w + 4}" y="${y + i * barH + barH - 5}" font-size="11">${val.v >= 100 ? Math.round(val.v) : val.v} ${unit}</text>`,
      );
    });
    y += h + gap;
  }
  for (let d = lo; d <= hi; d *= 10) {
    parts.push(
      `<line x1="${sx(d)}" y1="${top - 4}" x2="${sx(d)}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${sx(d)}" y="${y + 14}" font-size="11" text-anchor="middle">${d}</text>`,
    );
  }
  if (marker) {
    parts.push(
      `<line x1="${sx(marker.v)}" y1="${top - 8}" x2="${sx(marker.v)}" y2="${y}" stroke="#d62728" stroke-dasharray="5,3"/>`,
      `<text x="${sx(marker.v) + 4}" y="${top - 10}" font-size="11" fill="#d62728">${esc(marker.label)}</text>`,
    );
  }
  return { svg: parts.join('\n'), height: y + 24 - y0 };
}

export function renderSvg(report: Report): string {
  const width = 1100;
  const rows = report.results
    .filter((r) => r.ok_per_second > 0)
    .map((r) => ({ ...r, title: r.system === 'mariadb' ? r.title : `${r.title}, ${r.connections} conns` }));
  const thr = panel(
    rows.map((r) => ({ label: r.title, color: COLORS[r.system], values: [{ v: r.ok_per_second, shade: 0.9 }] })),
    20,
    50,
    width - 40,
    'Successful outcomes per second (log scale)',
    '/s',
    report.physical_limit_per_second
      ? { v: report.physical_limit_per_second, label: `hot-row limit ${report.physical_limit_per_second}/s` }
      : undefined,
  );
  const lat = rows.filter((r) => r.p50_ms !== null && r.p99_ms !== null);
  const latPanel = panel(
    lat.map((r) => ({
      label: r.title,
      color: COLORS[r.system],
      values: [
        { v: Math.max(r.p50_ms!, 0.1), shade: 0.55 },
        { v: Math.max(r.p99_ms!, 0.1), shade: 0.95 },
      ],
    })),
    20,
    50 + thr.height + 10,
    width - 40,
    'Latency: p50 (light) and p99 (dark), ms (log scale)',
    'ms',
  );
  const height = 50 + thr.height + 10 + latPanel.height + 30;
  const m = report.meta.machine;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="20" y="28" font-size="20" font-weight="bold">Flash-sale holds: npm run bench, ${esc(report.meta.started_at.slice(0, 16).replace('T', ' '))} UTC</text>
<text x="${width - 20}" y="28" font-size="12" text-anchor="end">${m.nproc} cores, ${m.memory_gib} GiB, load ${m.load_average_at_start.join(' ')}</text>
${thr.svg}
${latPanel.svg}
<text x="20" y="${height - 12}" font-size="11"><tspan fill="${COLORS.mariadb}">■ MariaDB direct</tspan>  <tspan fill="${COLORS.plain}">■ plain Koa + Sequelize (no Temporal)</tspan>  <tspan fill="${COLORS.service}">■ the service (Temporal workflow per hold)</tspan></text>
</svg>`;
}

export function renderPlot(report: Report): Buffer {
  const font = { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' };
  return new Resvg(renderSvg(report), { background: 'white', font }).render().asPng();
}

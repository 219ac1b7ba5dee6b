/**
 * A screening session as files a clinic can keep: a printable HTML page for the patient record, the result
 * as JSON for other software, and one CSV row per label and modality for a spreadsheet. Pure functions of
 * the stored result; nothing here reaches beyond the folder the person chose.
 */
import type { ScreeningResult } from '../api/contract';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

function bar(fraction: number): string {
  return `<span class="bar"><span style="width:${(Math.max(0, Math.min(1, fraction)) * 100).toFixed(1)}%"></span></span>`;
}

export function sessionReportHtml(r: ScreeningResult): string {
  const rows = (pairs: [string, number][]) => pairs.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td class="barcell">${bar(v)}</td><td class="num">${percent(v)}</td></tr>`).join('\n');
  const when = `${r.createdAt.slice(0, 10)} ${r.createdAt.slice(11, 16)} UTC`;
  const modalities = r.modalities
    .map((m) => `<tr><th scope="row">${escapeHtml(m.name)}</th><td>${m.used ? 'used' : 'not used'}</td><td>${escapeHtml(m.source ?? '—')}</td><td>${escapeHtml(m.reason ?? '')}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Screening report ${escapeHtml(r.subjectCode ?? '')}</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; color: #1c2430; max-width: 760px; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .2rem; } h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  .meta { color: #4a5566; } .answer { font-size: 1.3rem; font-weight: 650; margin: .6rem 0; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d9dee6; }
  .barcell { width: 65%; }
  .num { text-align: right; font-variant-numeric: tabular-nums; width: 6rem; }
  .bar { display: inline-block; width: 100%; height: .7rem; background: #e6eff9; border-radius: 4px; overflow: hidden; vertical-align: middle; }
  .bar span { display: block; height: 100%; background: #1d5fa8; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .disclaimer { border-left: 4px solid #8a5a00; background: #fdf5e6; padding: .6rem .8rem; margin-top: 1.4rem; }
  @media print { body { margin: 0; } }
</style>
</head>
<body>
<h1>Screening report</h1>
<p class="meta">Subject code: <strong>${escapeHtml(r.subjectCode ?? '(none)')}</strong> · ${escapeHtml(when)}</p>
<p class="meta">Model: ${escapeHtml(r.model.name)} version ${escapeHtml(r.model.version)} (${escapeHtml(r.model.id)}) · Screening ${escapeHtml(r.screeningId)}</p>
<p class="answer">Result: ${escapeHtml(r.label)} <span class="meta">(confidence ${percent(r.confidence)})</span></p>
<h2>Probability per label</h2>
<table>${rows(r.labels.map((l) => [l, r.probabilities[l] ?? 0]))}</table>
<h2>What each recording contributed</h2>
<table>${rows(Object.entries(r.contributions))}</table>
<h2>Recordings</h2>
<table><tr><th>Modality</th><th>Status</th><th>Source</th><th>Note</th></tr>
${modalities}</table>
<p class="disclaimer"><strong>${escapeHtml(r.disclaimer)}</strong></p>
</body>
</html>
`;
}

function csvField(value: string | number): string {
  // A text cell starting like a formula would be run by a spreadsheet; a file name must stay text.
  const s = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Long format (one row per measured quantity) so a spreadsheet can pivot any way. */
export function sessionReportCsv(r: ScreeningResult): string {
  const head = ['screening_id', 'subject_code', 'created_at', 'model_id', 'model_version', 'result_label', 'kind', 'name', 'value', 'note'];
  const base = [r.screeningId, r.subjectCode ?? '', r.createdAt, r.model.id, r.model.version, r.label];
  const rows: (string | number)[][] = [
    ...r.labels.map((l) => [...base, 'probability', l, r.probabilities[l] ?? 0, '']),
    ...Object.entries(r.contributions).map(([m, v]) => [...base, 'contribution', m, v, '']),
    ...r.missing.map((m) => [...base, 'missing', m.modality, '', m.reason]),
  ];
  return [head, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

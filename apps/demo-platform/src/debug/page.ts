// The /debug HTML document: inline CSS and script, no build step and no external asset, first
// painted on the server, then refreshed every 2 s from /debug/data by the same render functions.
import type { DebugData } from './data';
import { esc, RENDER_FUNCTIONS, renderSections } from './render';

const SECTIONS: readonly [id: string, title: string][] = [
  // The short sections first: the trace list is long and would push them off the screen.
  ['slos', 'SLOs'],
  ['alerts', 'Alertmanager alerts'],
  ['tenants', 'Tenant activity'],
  ['telemetry', 'Telemetry pipeline'],
  ['traces', 'Recent traces'],
];

const CSS = `
:root { color-scheme: light dark; --fg:#1d2330; --muted:#6b7385; --line:#d9dde6; --bg:#fff; --bar:#3d7bd9;
  --err:#c62828; --ok:#2e7d32; --warn:#b7791f; --chip:#eef1f6; }
@media (prefers-color-scheme: dark) { :root { --fg:#e3e7ef; --muted:#96a0b5; --line:#343a48; --bg:#161a22;
  --bar:#5b97ef; --chip:#262c38; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 1rem; align-items: baseline; padding: .8rem 1.2rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: 0; }
main { padding: 0 1.2rem 2rem; max-width: 1400px; display: grid; grid-template-columns: 1fr 1fr; column-gap: 2rem; }
main > * { grid-column: 1 / -1; min-width: 0; }
main > section.half { grid-column: auto; }
@media (max-width: 900px) { main > section.half { grid-column: 1 / -1; } }
h2 { font-size: 1rem; margin: 1.4rem 0 .5rem; }
.muted { color: var(--muted); font-size: 12px; }
#platform { font-size: 12px; }
.sim { color: #b45309; }
.tenant { background: var(--chip); border-radius: 3px; padding: 0 .35rem; font-size: 12px; }
.badge.err { color: #fff; background: var(--err); border-radius: 3px; padding: 0 .3rem; font-size: 11px; }
details.trace { border: 1px solid var(--line); border-radius: 4px; margin: .3rem 0; }
details.trace.err { border-left: 4px solid var(--err); }
details.trace > summary { padding: .35rem .6rem; cursor: pointer; display: flex; gap: .5rem; align-items: baseline; }
.tname { font-weight: 600; overflow-wrap: anywhere; }
.ms { margin-left: auto; font-variant-numeric: tabular-nums; white-space: nowrap; }
.waterfall { padding: .2rem .6rem .6rem; }
details.span > summary { display: grid; grid-template-columns: minmax(14rem, 38%) 1fr 5.5rem; gap: .5rem;
  align-items: center; cursor: pointer; padding: 1px 0; list-style: none; }
details.span > summary::-webkit-details-marker { display: none; }
details.span.err .sname { color: var(--err); }
.sname { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.lane { position: relative; height: 12px; background: var(--chip); border-radius: 2px; }
.bar { position: absolute; top: 0; bottom: 0; background: var(--bar); border-radius: 2px; }
details.span.err .bar { background: var(--err); }
.detail { margin: .2rem 0 .5rem 1rem; padding: .3rem .6rem; border-left: 2px solid var(--line); }
table { border-collapse: collapse; }
.attrs th, .attrs td { text-align: left; padding: 1px .6rem 1px 0; font: 12px ui-monospace, monospace; vertical-align: top; }
.attrs td { overflow-wrap: anywhere; }
.grid { width: 100%; }
.grid th, .grid td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.status { font-weight: 600; border-radius: 3px; padding: 0 .35rem; }
.status.ok { color: var(--ok); } .status.warn { color: var(--warn); } .status.crit { color: #fff; background: var(--err); }
.status.nodata { color: var(--muted); }
.budget { display: inline-block; width: 6rem; height: 8px; background: var(--chip); vertical-align: middle; }
.budget > span { display: block; height: 100%; background: var(--ok); }
.chip { display: inline-block; background: var(--chip); border-radius: 3px; padding: 0 .3rem; margin: 1px 0;
  font: 12px ui-monospace, monospace; overflow-wrap: anywhere; }
.chip.hot { color: #fff; background: var(--warn); }
.source-error { color: var(--err); }
.filters { display: flex; gap: 1rem; align-items: center; margin: -.2rem 0 .5rem; font-size: 13px; }
#live.stale { color: var(--err); }
`;

// Runs in the browser. Keeps which <details> are open across refreshes (by data-key), and pauses
// nothing: a failed fetch marks the page stale and the next tick tries again.
const CLIENT = `
const openKeys = new Set();
document.addEventListener('toggle', (event) => {
  const el = event.target;
  if (!(el instanceof HTMLDetailsElement) || !el.dataset.key) return;
  if (el.open) openKeys.add(el.dataset.key); else openKeys.delete(el.dataset.key);
}, true);
const live = document.getElementById('live');
const tenantSelect = document.getElementById('f-tenant');
const errorsBox = document.getElementById('f-errors');
function query() {
  const params = new URLSearchParams();
  if (tenantSelect.value) params.set('tenant', tenantSelect.value);
  if (errorsBox.checked) params.set('errors', '1');
  const text = params.toString();
  return text ? '?' + text : '';
}
// New tenants appear in the filter as they show up; DOM APIs, so a tenant id is only ever text.
function syncTenants(tenants) {
  const known = new Set(Array.from(tenantSelect.options, (o) => o.value));
  for (const t of tenants) if (!known.has(t.tenant)) tenantSelect.add(new Option(t.tenant, t.tenant));
}
let timer;
function refreshSoon(ms) {
  clearTimeout(timer);
  timer = setTimeout(refresh, ms);
}
for (const control of [tenantSelect, errorsBox]) {
  control.addEventListener('change', () => {
    history.replaceState(null, '', location.pathname + query());
    refreshSoon(0);
  });
}
async function refresh() {
  try {
    const response = await fetch('/debug/data' + query(), { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const data = await response.json();
    const html = renderSections(data);
    for (const id of Object.keys(html)) {
      const section = document.getElementById(id);
      if (section) section.innerHTML = html[id];
    }
    for (const el of document.querySelectorAll('details[data-key]')) {
      if (openKeys.has(el.dataset.key)) el.open = true;
    }
    syncTenants(data.tenants);
    live.textContent = 'updated ' + fmtTime(data.generatedAt);
    live.className = 'muted';
  } catch (error) {
    live.textContent = 'update failed: ' + (error && error.message ? error.message : String(error));
    live.className = 'stale';
  } finally {
    refreshSoon(2000);
  }
}
refreshSoon(2000);
`;

/** The trace filter controls, set to the filter `data` was built with; the script keeps them in sync. */
function renderFilters(data: DebugData): string {
  const tenants = new Set(data.tenants.map((t) => t.tenant));
  if (data.filter.tenant !== null) tenants.add(data.filter.tenant);
  const options = [...tenants]
    .map((t) => `<option value="${esc(t)}"${t === data.filter.tenant ? ' selected' : ''}>${esc(t)}</option>`)
    .join('');
  return (
    `<div class="filters"><label>tenant <select id="f-tenant"><option value="">all</option>${options}</select></label>` +
    `<label><input type="checkbox" id="f-errors"${data.filter.errorsOnly ? ' checked' : ''}> errors only</label></div>`
  );
}

/** The whole page for `data`; `nonce` authorises the one inline script under the page's CSP. */
export function renderPage(data: DebugData, nonce: string): string {
  const html = renderSections(data);
  const sections = SECTIONS.map(
    ([id, title]) =>
      `<section${id === 'tenants' || id === 'telemetry' ? ' class="half"' : ''}><h2>${title}</h2>` +
      `${id === 'traces' ? renderFilters(data) : ''}<div id="${id}">${html[id] ?? ''}</div></section>`,
  ).join('\n');
  const functions = RENDER_FUNCTIONS.map((fn) => fn.toString()).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AutoWeave demo · debug</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>AutoWeave demo · /debug</h1><span id="platform">${html.platform ?? ''}</span><span id="live" class="muted">rendered ${data.generatedAt}</span>
<span class="muted">refreshes every 2 s · <a href="/debug/data">JSON</a> · <a href="/metrics">/metrics</a></span></header>
<main>
<div id="errors">${html.errors ?? ''}</div>
${sections}
</main>
<script nonce="${nonce}">
"use strict";
${functions}
${CLIENT}
</script>
</body>
</html>
`;
}

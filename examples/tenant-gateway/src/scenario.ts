// The `--once` scenario: real HTTP requests against the running gateway (good, unknown and revoked
// keys, a spoofed X-Tenant-ID, a refused network, one tenant flooding next to another) and a report.
import { readFile } from 'node:fs/promises';
import { DecryptError, isEncryptedValue, type TenantBudgetStats } from '@autoweave/tenant-isolation';
import { DEMO_API_KEYS } from './demo-secrets';
import type { Gateway } from './gateway';

/** Orders as the demo clients send them: every one carries an e-mail, a card and a payment token. */
export const DEMO_ORDERS = Object.freeze({
  acme: {
    customerEmail: 'jane.doe@example.com',
    card: '4111 1111 1111 1111',
    paymentToken: 'pay_7Hq2LmX9vR4tK8wZ3nB6',
    items: 3,
  },
  globex: {
    customerEmail: 'hank.scorpio@globex.example',
    card: '5555 5555 5555 4444',
    paymentToken: 'pay_Zx81QwErTy55UiOp02Lk',
    items: 1,
  },
});

/** A well-formed key that no tenant has. */
const UNKNOWN_KEY = 'awk_not_a_real_key_000000000000000000';

/** One request of the scenario and what came back. */
interface Step {
  readonly what: string;
  /** Whose key was used (or `-` for none). */
  readonly as: string;
  readonly status: number;
  readonly retryAfter: string | null;
}

export interface ScenarioReport {
  readonly steps: readonly Step[];
  readonly lines: readonly string[];
}

/** Sends one order; `key` undefined sends no Authorization header. */
export async function postOrder(
  base: string,
  key: string | undefined,
  body: object,
  headers: Record<string, string> = {},
): Promise<Response> {
  const res = await fetch(`${base}/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res;
}

export async function runScenario(gateway: Gateway): Promise<ScenarioReport> {
  const base = gateway.url;
  const steps: Step[] = [];
  const send = async (
    what: string,
    as: string,
    key: string | undefined,
    body: object,
    headers?: Record<string, string>,
  ) => {
    const res = await postOrder(base, key, body, headers);
    steps.push({ what, as, status: res.status, retryAfter: res.headers.get('retry-after') });
    return res;
  };

  await send('acme, good key', 'acme', DEMO_API_KEYS.acme, DEMO_ORDERS.acme);
  await send('globex, good key', 'globex', DEMO_API_KEYS.globex, DEMO_ORDERS.globex);
  await send('no key', '-', undefined, DEMO_ORDERS.acme);
  await send('unknown key, claims "evil-corp"', '-', UNKNOWN_KEY, DEMO_ORDERS.acme, {
    'x-tenant-id': 'evil-corp',
  });
  await send('acme, revoked key', 'acme', DEMO_API_KEYS.acmeRevoked, DEMO_ORDERS.acme);
  await send('acme key, X-Tenant-ID: globex', 'acme', DEMO_API_KEYS.acme, DEMO_ORDERS.acme, {
    'x-tenant-id': 'globex',
  });
  await send('initech key from 127.0.0.1', 'initech', DEMO_API_KEYS.initech, DEMO_ORDERS.acme);
  const single = steps.length;

  // acme (free, 5 requests/s) sends 50 at once, 10x its limit; globex (pro, 50/s) sends 20 meanwhile.
  await Promise.all([
    ...Array.from({ length: 50 }, () => send('acme flood', 'acme', DEMO_API_KEYS.acme, DEMO_ORDERS.acme)),
    ...Array.from({ length: 20 }, () =>
      send('globex meanwhile', 'globex', DEMO_API_KEYS.globex, DEMO_ORDERS.globex),
    ),
  ]);

  const lines: string[] = ['', `Requests (real HTTP to ${base}/orders):`];
  for (const step of steps.slice(0, single)) lines.push(`  ${step.what.padEnd(34)} -> ${step.status}`);
  const flood = steps.slice(single);
  const count = (as: string, status: number) =>
    flood.filter((s) => s.as === as && s.status === status).length;
  const retryAfter = [...new Set(flood.filter((s) => s.status === 429).map((s) => s.retryAfter))];
  lines.push(
    `  acme flood (50 at once)            -> ${count('acme', 201)} x 201, ${count('acme', 429)} x 429 (Retry-After: ${retryAfter.join(', ') || '-'})`,
    `  globex meanwhile (20 at once)      -> ${count('globex', 201)} x 201, ${count('globex', 429)} x 429`,
    '',
    'Status counts by the tenant whose key was used:',
    ...statusTable(steps),
    '',
    'Refused or dropped by the tenant limiter (limiter.stats(), before any export):',
    ...limiterTable(gateway.policies.limiter.stats().byTenant),
    '',
    ...(await decryptDemo(gateway)),
  );

  const verify = (await (await fetch(`${base}/audit/verify`)).json()) as { ok: boolean; entries: number };
  const types = await auditTypes(gateway);
  lines.push(
    '',
    `Audit log ${gateway.auditFile}: ${verify.entries} entries, chain ${verify.ok ? 'verified' : 'BROKEN'}`,
    `  ${[...types].map(([type, n]) => `${type} x${n}`).join(', ')}`,
  );
  return { steps, lines };
}

function statusTable(steps: readonly Step[]): string[] {
  const statuses = [...new Set(steps.map((s) => s.status))].sort();
  const tenants = [...new Set(steps.map((s) => s.as))];
  const rows = [`  ${'tenant'.padEnd(9)}${statuses.map((s) => String(s).padStart(6)).join('')}`];
  for (const tenant of tenants) {
    const cells = statuses.map((status) =>
      String(steps.filter((s) => s.as === tenant && s.status === status).length).padStart(6),
    );
    rows.push(`  ${tenant.padEnd(9)}${cells.join('')}`);
  }
  return rows;
}

function limiterTable(byTenant: readonly TenantBudgetStats[]): string[] {
  const rows = [
    `  ${'tenant'.padEnd(9)}${['requests', 'spans', 'logs', 'series'].map((k) => k.padStart(10)).join('')}`,
  ];
  for (const t of byTenant) {
    const r = t.rejected;
    rows.push(
      `  ${t.tenant.padEnd(9)}${[r.requests, r.spans, r.logs, r.series].map((n) => String(n).padStart(10)).join('')}`,
    );
  }
  return rows;
}

/** Reads acme's encrypted `customer.email` from /traces, then decrypts it as acme (and tries as globex). */
async function decryptDemo(gateway: Gateway): Promise<string[]> {
  const traces = (await (await fetch(`${gateway.url}/traces?tenant=acme`)).json()) as {
    roots: { attributes: Record<string, unknown> }[];
  }[];
  const token = traces
    .flatMap((t) => t.roots)
    .map((s) => s.attributes['customer.email'])
    .find(isEncryptedValue);
  if (token === undefined) return ["No acme span with customer.email in /traces (over acme's span budget?)"];
  const { cipher } = gateway.policies;
  const context = { actor: 'support@acme.example', reason: 'tenant-gateway --once demo' };
  const plain = cipher.decrypt('acme', token, context);
  let asGlobex: string;
  try {
    asGlobex = `decrypted (${cipher.decrypt('globex', token, context)}) - this should not happen`;
  } catch (error) {
    asGlobex = `refused (${error instanceof DecryptError ? error.reason : String(error)})`;
  }
  return [
    "acme's customer.email as exported in spans (and logs):",
    `  ${token.slice(0, 48)}...`,
    `  decrypted with acme's key:  ${plain}   (audited: crypto.decrypt)`,
    `  decrypted as globex:        ${asGlobex}   (audited: crypto.decrypt_failure)`,
  ];
}

async function auditTypes(gateway: Gateway): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await readFile(gateway.auditFile, 'utf8')).split('\n')) {
    if (line === '') continue;
    const type = (JSON.parse(line) as { type: string }).type;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

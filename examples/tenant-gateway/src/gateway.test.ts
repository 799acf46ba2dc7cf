import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  DecryptError,
  createTenantCipher,
  isEncryptedValue,
  loadTenantRegistry,
  verifyAuditLog,
} from '@autoweave/tenant-isolation';
import {
  checkMetrics,
  freePort,
  startLokiPeer,
  startOtlpPeer,
  type LokiPeer,
  type OtlpPeer,
} from '@autoweave/test-utils';
import { DEMO_API_KEYS, withDemoKeys } from './demo-secrets';
import { DEMO_ORDERS, postOrder } from './scenario';

const main = join(__dirname, '..', 'dist', 'main.js');
const tenantsFile = join(__dirname, '..', 'tenants.yaml');

/** What must never leave the process in clear text. */
const SECRETS = [
  DEMO_ORDERS.acme.customerEmail,
  DEMO_ORDERS.globex.customerEmail,
  DEMO_ORDERS.acme.paymentToken,
  DEMO_ORDERS.globex.paymentToken,
];
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/;
const CARD = /(?:4111|5555)[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}/;
const BEARER = /Bearer\s+[A-Za-z0-9]/;

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  stdout(): string;
  readonly exited: Promise<{ code: number | null; stderr: string }>;
}

/** Starts `dist/main.js` as a server and resolves once it says where it listens. */
function startGatewayProcess(env: Record<string, string>): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<{ code: number | null; stderr: string }>((done) =>
      child.once('exit', (code) => done({ code, stderr })),
    );
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      if (url !== undefined) resolve({ child, url, stdout: () => stdout, exited });
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    void exited.then(({ code }) => reject(new Error(`gateway exited (${code}) before listening: ${stderr}`)));
  });
}

async function auditLines(file: string): Promise<Record<string, unknown>[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('tenant gateway: one process against the OTLP and Loki peers, from first request to shutdown', () => {
  let otlp: OtlpPeer;
  let loki: LokiPeer;
  let dir: string;
  let auditFile: string;
  let gateway: Running;

  beforeAll(async () => {
    otlp = await startOtlpPeer();
    loki = await startLokiPeer();
    dir = await mkdtemp(join(tmpdir(), 'tenant-gateway-test-'));
    auditFile = join(dir, 'audit.log');
    gateway = await startGatewayProcess({
      PORT: String(await freePort()),
      AUDIT_LOG: auditFile,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      LOKI_URL: loki.url,
    });
  });

  afterAll(async () => {
    if (gateway?.child.exitCode === null) gateway.child.kill('SIGKILL');
    await otlp?.stop();
    await loki?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('refuses unknown and revoked keys with 401 and a WWW-Authenticate challenge', async () => {
    const unknown = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { authorization: 'Bearer awk_not_a_real_key_000000000000000000', 'x-tenant-id': 'evil-corp' },
      body: '{}',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe(
      'Bearer realm="tenant-gateway", error="invalid_token"',
    );
    expect(await unknown.json()).toMatchObject({ error: 'unknown_key' });

    const revoked = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEYS.acmeRevoked}` },
      body: '{}',
    });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toBe(
      'Bearer realm="tenant-gateway", error="invalid_token"',
    );
    expect(await revoked.json()).toMatchObject({ error: 'revoked_key' });

    const none = await postOrder(gateway.url, undefined, DEMO_ORDERS.acme);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tenant-gateway"');
  });

  it('refuses a spoofed X-Tenant-ID with 403 and records auth.tenant_mismatch in the audit file', async () => {
    const res = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEYS.acme}`, 'x-tenant-id': 'globex' },
      body: JSON.stringify(DEMO_ORDERS.acme),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'tenant_mismatch' });

    // /audit/verify flushes the log first, so the entry is on disk once it answers.
    const verify = (await (await fetch(`${gateway.url}/audit/verify`)).json()) as { ok: boolean };
    expect(verify.ok).toBe(true);
    const mismatch = (await auditLines(auditFile)).filter((e) => e.type === 'auth.tenant_mismatch');
    expect(mismatch).toEqual([
      expect.objectContaining({ tenant: 'acme', data: expect.objectContaining({ claimedTenant: 'globex' }) }),
    ]);
  });

  it('refuses a tenant key used from outside its allowed network with 403, audited as auth.ip_denied', async () => {
    const res = await postOrder(gateway.url, DEMO_API_KEYS.initech, DEMO_ORDERS.acme);
    expect(res.status).toBe(403);
    await fetch(`${gateway.url}/audit/verify`);
    expect((await auditLines(auditFile)).filter((e) => e.type === 'auth.ip_denied')).toEqual([
      expect.objectContaining({ tenant: 'initech' }),
    ]);
  });

  it('accepts orders with good keys', async () => {
    const acme = await fetch(`${gateway.url}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_API_KEYS.acme}`, 'content-type': 'application/json' },
      body: JSON.stringify(DEMO_ORDERS.acme),
    });
    expect(acme.status).toBe(201);
    expect(await acme.json()).toMatchObject({ tenant: 'acme', orderId: expect.stringMatching(/^ord_/) });
    expect((await postOrder(gateway.url, DEMO_API_KEYS.globex, DEMO_ORDERS.globex)).status).toBe(201);
  });

  it("answers acme's flood with 429 and Retry-After while every globex request in the same window succeeds", async () => {
    // acme (free plan, 5 requests/s) sends 50 at once; globex (pro, 50/s) sends 20 at the same time.
    const [acme, globex] = await Promise.all([
      Promise.all(
        Array.from({ length: 50 }, () => postOrder(gateway.url, DEMO_API_KEYS.acme, DEMO_ORDERS.acme)),
      ),
      Promise.all(
        Array.from({ length: 20 }, () => postOrder(gateway.url, DEMO_API_KEYS.globex, DEMO_ORDERS.globex)),
      ),
    ]);
    const limited = acme.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const r of limited) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(acme.every((r) => r.status === 201 || r.status === 429)).toBe(true);
    expect(globex.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
  });

  it("serves /metrics with tenant_id bounded to registered tenants and acme's refused requests, accepted by promtool", async () => {
    const res = await fetch(`${gateway.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const tenantValues = new Set([...text.matchAll(/tenant_id="([^"]*)"/g)].map((m) => m[1]));
    expect(
      [...tenantValues].every((v) => ['acme', 'globex', 'initech', '__unknown__'].includes(v ?? '')),
    ).toBe(true);
    // evil-corp, claimed with an unknown key, is counted but under __unknown__.
    expect(tenantValues).toContain('__unknown__');
    expect(text).not.toContain('evil-corp');
    expect(text).toMatch(/^autoweave_tenant_requests_rejected_total\{tenant_id="acme"\} [1-9]\d*$/m);
    expect(text).not.toMatch(/^autoweave_tenant_requests_rejected_total\{tenant_id="globex"\}/m);
    // 50 requests at once are 50 root spans and log lines against acme's budget of 10 per second:
    // the rest were dropped before export, and only acme's.
    expect(text).toMatch(
      /^autoweave_tenant_telemetry_dropped_total\{signal="spans",tenant_id="acme"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(
      /^autoweave_tenant_telemetry_dropped_total\{signal="logs",tenant_id="acme"\} [1-9]\d*$/m,
    );
    expect(text).not.toMatch(/^autoweave_tenant_telemetry_dropped_total\{[^}]*tenant_id="globex"/m);
    expect(text).toMatch(/^autoweave_gateway_requests_total\{tenant_id="globex",code="created"\} 21$/m);

    const promtool = await checkMetrics(text);
    expect(promtool.stderr).toBe('');
    expect(promtool.ok).toBe(true);
  });

  it("renders /retention as Loki, Tempo and Mimir override YAML with acme's retention", async () => {
    const res = await fetch(`${gateway.url}/retention`);
    expect(res.headers.get('content-type')).toMatch(/yaml/);
    const docs = parseAllDocuments(await res.text());
    expect(Array.isArray(docs)).toBe(true);
    const [lokiDoc, tempoDoc, mimirDoc] = (docs as { errors: unknown[]; toJS(): unknown }[]).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as { overrides: Record<string, Record<string, unknown>> };
    });
    expect(lokiDoc?.overrides.acme).toEqual({ retention_period: '720h' });
    expect(lokiDoc?.overrides.globex?.retention_stream).toEqual([
      { selector: '{level="debug"}', priority: 1, period: '24h' },
    ]);
    expect(tempoDoc?.overrides.acme).toEqual({ compaction: { block_retention: '168h' } });
    expect(mimirDoc?.overrides.acme).toEqual({ compactor_blocks_retention_period: '2160h' });
  });

  it('shuts down on SIGTERM with an audit chain that verifies, and that fails to verify once a line is edited', async () => {
    gateway.child.kill('SIGTERM');
    const { code, stderr } = await gateway.exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(gateway.stdout()).toMatch(/audit log verified: \d+ entries, head seq \d+ hash [0-9a-f]{64}/);

    expect((await verifyAuditLog(auditFile)).ok).toBe(true);
    const lines = (await readFile(auditFile, 'utf8')).split('\n');
    const at = lines.findIndex((l) => l.includes('"auth.tenant_mismatch"'));
    lines[at] = lines[at]!.replace('"claimedTenant":"globex"', '"claimedTenant":"initech"');
    await writeFile(auditFile, lines.join('\n'));
    const tampered = await verifyAuditLog(auditFile);
    expect(tampered.ok).toBe(false);
    expect(tampered.firstBroken).toMatchObject({ line: at + 1, reason: 'content_mismatch' });
  });

  it("delivered each tenant's logs to Loki under its own X-Scope-OrgID with no e-mail, card number or bearer token", () => {
    const entries = loki.entries();
    const orgs = new Set(entries.map((e) => e.orgId));
    expect([...orgs].sort()).toEqual(['acme', 'globex', 'platform']);
    for (const entry of entries) {
      expect(entry.line).not.toMatch(EMAIL);
      expect(entry.line).not.toMatch(CARD);
      expect(entry.line).not.toMatch(BEARER);
      for (const secret of SECRETS) expect(entry.line).not.toContain(secret);
      if (entry.orgId !== 'platform') expect(entry.labels.tenant_id).toBe(entry.orgId);
    }
    const acmeOrder = entries.find((e) => e.orgId === 'acme' && e.line.includes('charging card'));
    const globexOrder = entries.find((e) => e.orgId === 'globex' && e.line.includes('charging card'));
    expect(acmeOrder?.line).toContain('[card]');
    expect(acmeOrder?.line).toContain('awenc:v1:');
    // Only globex's policy masks client IPs.
    expect(acmeOrder?.line).toContain('127.0.0.1');
    expect(globexOrder?.line).toContain('"client.address":"[ip]"');

    const stdoutLogs = gateway
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(stdoutLogs.length).toBeGreaterThan(0);
    for (const line of stdoutLogs) expect(line).not.toMatch(EMAIL);
  });

  it("exported spans carry tenant.id and customer.email encrypted so that only the tenant's own key decrypts it", async () => {
    const roots = (await otlp.waitForSpans(2, 20_000, (s) => s.name === 'POST /orders')).filter(
      (s) => s.name === 'POST /orders',
    );
    for (const span of roots) expect(['acme', 'globex', 'initech']).toContain(span.attributes['tenant.id']);
    for (const span of otlp.spans) {
      const text = JSON.stringify(span.attributes);
      expect(text).not.toMatch(EMAIL);
      expect(text).not.toMatch(CARD);
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    }

    const registry = await loadTenantRegistry(tenantsFile);
    const cipher = createTenantCipher({
      keysFor: (id) => registry.get(id)?.config.encryption,
      env: withDemoKeys({}).env,
    });
    const emailOf = (tenant: string) =>
      roots.find((s) => s.attributes['tenant.id'] === tenant && s.attributes['customer.email'] !== undefined)
        ?.attributes['customer.email'];
    const acmeToken = emailOf('acme');
    expect(isEncryptedValue(acmeToken)).toBe(true);
    expect(cipher.decrypt('acme', acmeToken as string)).toBe(DEMO_ORDERS.acme.customerEmail);
    expect(() => cipher.decrypt('globex', acmeToken as string)).toThrow(DecryptError);
    const globexToken = emailOf('globex') as string;
    expect(cipher.decrypt('globex', globexToken)).toBe(DEMO_ORDERS.globex.customerEmail);
    expect(() => cipher.decrypt('acme', globexToken)).toThrow(DecryptError);
  });
});

describe('tenant gateway --once (the README demo command)', () => {
  it('runs the scripted scenario against itself over HTTP, prints the report and exits 0', async () => {
    // --once keeps its audit and log files in a new directory under TMPDIR; this one is removed after.
    const dir = await mkdtemp(join(tmpdir(), 'tenant-gateway-once-'));
    const child = spawn(process.execPath, [main, '--once'], {
      env: { ...process.env, PORT: '0', TMPDIR: dir },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/unknown key, claims "evil-corp"\s+-> 401/);
    expect(stdout).toMatch(/acme key, X-Tenant-ID: globex\s+-> 403/);
    expect(stdout).toMatch(/acme flood \(50 at once\)\s+-> \d+ x 201, [1-9]\d* x 429 \(Retry-After: \d/);
    expect(stdout).toMatch(/globex meanwhile \(20 at once\)\s+-> 20 x 201, 0 x 429/);
    expect(stdout).toMatch(/^ {2}acme\s+[1-9]\d*\s+\d+\s+\d+\s+\d+$/m);
    expect(stdout).toContain(`decrypted with acme's key:  ${DEMO_ORDERS.acme.customerEmail}`);
    expect(stdout).toContain('decrypted as globex:        refused (authentication_failed)');
    expect(stdout).toMatch(/chain verified/);
    expect(stdout).toMatch(/audit log verified: \d+ entries/);
  });
});

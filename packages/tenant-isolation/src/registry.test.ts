import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from './credentials';
import type { AuditEventInput, AuditSink, TenantConfig } from './policy-types';
import {
  DEFAULT_TENANT_LIMITS,
  TenantConfigError,
  createTenantRegistry,
  loadTenantRegistry,
  parseTenantRegistryConfig,
  readTenantRegistryConfig,
} from './registry';
import type { TenantRegistryChange } from './registry';

const FIXTURE = join(__dirname, 'test-fixtures', 'tenants.yaml');

function auditLog(): AuditSink & { events: AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return { events, record: (event) => void events.push(event) };
}

/** The TenantConfigError `fn` throws; fails the test if it throws anything else or nothing. */
function configError(fn: () => unknown): TenantConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TenantConfigError);
    return error as TenantConfigError;
  }
  throw new Error('expected a TenantConfigError');
}

const acmeKey = 'awk_test_acme_primary';

describe('a registry loaded from YAML', () => {
  it('serves each tenant with plan limits merged over the defaults and its own overrides', async () => {
    const registry = await loadTenantRegistry(FIXTURE);
    expect(registry.ids()).toEqual(['acme', 'globex', 'initech']);
    const acme = registry.get('acme');
    expect(acme).toMatchObject({ id: 'acme', name: 'Acme Corp', plan: 'pro', orgId: 'acme' });
    expect(acme?.limits).toEqual({
      requestsPerSecond: 200,
      requestBurst: 400,
      spansPerSecond: 5000,
      logLinesPerSecond: DEFAULT_TENANT_LIMITS.logLinesPerSecond,
      newSeriesPerMinute: DEFAULT_TENANT_LIMITS.newSeriesPerMinute,
    });
    // No plan named: the default plan applies.
    expect(registry.get('globex')).toMatchObject({
      plan: 'free',
      name: 'globex',
      orgId: 'globex-prod',
      limits: { requestsPerSecond: 10, spansPerSecond: 100, logLinesPerSecond: 50, newSeriesPerMinute: 20 },
    });
    expect(registry.plans.pro?.spansPerSecond).toBe(DEFAULT_TENANT_LIMITS.spansPerSecond);
    expect(registry.has('initech')).toBe(true);
    expect(registry.has('nobody')).toBe(false);
    expect(registry.size).toBe(3);
  });

  it('compiles the IP and origin policies', async () => {
    const registry = await loadTenantRegistry(FIXTURE);
    const acme = registry.get('acme');
    expect(acme?.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(acme?.allowsIp('::ffff:10.9.8.7')).toBe(true);
    expect(acme?.allowsIp('192.0.2.1')).toBe(false);
    expect(acme?.allowsOrigin('https://anything.test')).toBe(true);
    const initech = registry.get('initech');
    expect(initech?.allowedIps).toBeUndefined();
    expect(initech?.allowsIp('192.0.2.1')).toBe(true);
    expect(initech?.allowsOrigin('https://eu.initech.example')).toBe(true);
    expect(initech?.allowsOrigin('https://initech.example.evil.test')).toBe(false);
  });

  it('gives tenants without a plan and without a default plan the built-in limits', () => {
    const registry = createTenantRegistry({ tenants: [{ id: 'solo' }] });
    expect(registry.get('solo')?.limits).toEqual(DEFAULT_TENANT_LIMITS);
    expect(registry.get('solo')?.plan).toBeUndefined();
  });

  it('reads the same tenants from JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tenants-'));
    try {
      const file = join(dir, 'tenants.json');
      const config = await readTenantRegistryConfig(FIXTURE);
      await writeFile(file, JSON.stringify(config));
      const registry = await loadTenantRegistry(file);
      expect(registry.ids()).toEqual(['acme', 'globex', 'initech']);
      expect(registry.authenticate(acmeKey)).toMatchObject({ ok: true, keyId: 'primary' });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('authenticate', () => {
  const registry = createTenantRegistry({
    tenants: [
      {
        id: 'acme',
        apiKeys: [
          { id: 'good', hash: hashApiKey('awk_good') },
          { id: 'gone', hash: hashApiKey('awk_gone'), revoked: true },
          { id: 'soon', hash: hashApiKey('awk_soon'), expiresAt: '2025-06-01T12:00:00Z' },
        ],
      },
    ],
    now: () => Date.parse('2025-06-01T11:59:59.999Z'),
  });

  it('returns the tenant and key id for a good key', () => {
    const result = registry.authenticate('awk_good');
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.tenant.id).toBe('acme');
      expect(result.keyId).toBe('good');
    }
    expect(registry.authenticate('awk_soon')).toMatchObject({ ok: true, keyId: 'soon' });
  });

  it('refuses unknown keys without naming a tenant', () => {
    expect(registry.authenticate('awk_bad')).toEqual({ ok: false, reason: 'unknown' });
    expect(registry.authenticate('awk_good ')).toEqual({ ok: false, reason: 'unknown' });
    expect(registry.authenticate(hashApiKey('awk_good'))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses revoked keys and says whose they were', () => {
    expect(registry.authenticate('awk_gone')).toEqual({
      ok: false,
      reason: 'revoked',
      tenantId: 'acme',
      keyId: 'gone',
    });
  });

  it('refuses a key from its expiry instant on', () => {
    let now = Date.parse('2025-06-01T11:59:59.999Z');
    const clocked = createTenantRegistry({
      tenants: [
        {
          id: 'acme',
          apiKeys: [{ id: 'soon', hash: hashApiKey('awk_soon'), expiresAt: '2025-06-01T12:00:00Z' }],
        },
      ],
      now: () => now,
    });
    expect(clocked.authenticate('awk_soon').ok).toBe(true);
    now = Date.parse('2025-06-01T12:00:00Z');
    expect(clocked.authenticate('awk_soon')).toEqual({
      ok: false,
      reason: 'expired',
      tenantId: 'acme',
      keyId: 'soon',
    });
    // A broken clock fails closed.
    now = Number.NaN;
    expect(clocked.authenticate('awk_soon')).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('accepts date-only and offset expiry instants', () => {
    let now = Date.parse('2025-01-31T23:59:59Z');
    const clocked = createTenantRegistry({
      tenants: [
        {
          id: 'acme',
          apiKeys: [
            { id: 'date', hash: hashApiKey('awk_date'), expiresAt: '2025-02-01' },
            { id: 'offset', hash: hashApiKey('awk_offset'), expiresAt: '2025-02-01T02:00:00+02:00' },
          ],
        },
      ],
      now: () => now,
    });
    expect(clocked.authenticate('awk_date').ok).toBe(true);
    expect(clocked.authenticate('awk_offset').ok).toBe(true);
    now = Date.parse('2025-02-01T00:00:00Z');
    expect(clocked.authenticate('awk_date').ok).toBe(false);
    expect(clocked.authenticate('awk_offset').ok).toBe(false);
  });

  it('returns a result, never throws, for hostile keys', () => {
    for (const key of [undefined, null, 0, {}, [], '', 'x'.repeat(1_000_000), '\u0000', '\ud83d']) {
      expect(registry.authenticate(key)).toEqual({ ok: false, reason: 'unknown' });
    }
  });
});

describe('changes', () => {
  function fixture() {
    const audit = auditLog();
    const changes: TenantRegistryChange[] = [];
    const registry = createTenantRegistry({
      plans: { small: { requestsPerSecond: 5 }, big: { requestsPerSecond: 500 } },
      tenants: [
        {
          id: 'acme',
          plan: 'small',
          apiKeys: [
            { id: 'one', hash: hashApiKey('awk_one') },
            { id: 'two', hash: hashApiKey('awk_two') },
          ],
        },
        { id: 'globex', apiKeys: [{ id: 'main', hash: hashApiKey('awk_globex') }] },
      ],
      audit,
    });
    registry.onChange((change) => void changes.push(change));
    return { registry, audit, changes };
  }

  it('revoking a key stops it and only it, audited without any key material', () => {
    const { registry, audit, changes } = fixture();
    expect(registry.revokeKey('acme', 'one')).toBe(true);
    expect(registry.authenticate('awk_one')).toMatchObject({ ok: false, reason: 'revoked' });
    expect(registry.authenticate('awk_two')).toMatchObject({ ok: true, keyId: 'two' });
    expect(audit.events).toEqual([
      { type: 'policy.change', tenant: 'acme', data: { action: 'api_key.revoke', keyId: 'one' } },
    ]);
    expect(changes).toEqual([
      expect.objectContaining({ type: 'api_key.revoked', tenantId: 'acme', keyId: 'one' }),
    ]);
    // Revoking again changes nothing and records nothing.
    expect(registry.revokeKey('acme', 'one')).toBe(false);
    expect(audit.events).toHaveLength(1);
  });

  it('refuses to revoke a key that does not exist, naming the keys there are', () => {
    const { registry } = fixture();
    expect(() => registry.revokeKey('acme', 'three')).toThrow(
      /tenant "acme" has no key "three"; its keys are "one", "two"/,
    );
    expect(() => registry.revokeKey('nobody', 'one')).toThrow(/there is no tenant "nobody"/);
  });

  it('adds a key that works at once, audited by id', () => {
    const { registry, audit, changes } = fixture();
    const key = generateApiKey();
    registry.addApiKey('acme', { id: 'three', hash: hashApiKey(key), expiresAt: '2099-01-01T00:00:00Z' });
    expect(registry.authenticate(key)).toMatchObject({ ok: true, keyId: 'three' });
    expect(audit.events).toEqual([
      {
        type: 'policy.change',
        tenant: 'acme',
        data: { action: 'api_key.add', keyId: 'three', expiresAt: '2099-01-01T00:00:00Z' },
      },
    ]);
    expect(JSON.stringify(audit.events)).not.toContain(hashApiKey(key));
    expect(changes[0]).toMatchObject({ type: 'api_key.added', keyId: 'three' });
  });

  it('refuses a key already used by another tenant, and a plaintext key without echoing it', () => {
    const { registry, audit } = fixture();
    expect(() => registry.addApiKey('acme', { id: 'stolen', hash: hashApiKey('awk_globex') })).toThrow(
      /tenant\.apiKeys\[2\]\.hash: the same key is already configured as tenant "globex" key "main"/,
    );
    const error = configError(() => registry.addApiKey('acme', { id: 'plain', hash: 'awk_supersecret' }));
    expect(error.message).toMatch(/looks like a plaintext API key .*store hashApiKey\(key\)/);
    expect(error.message).not.toContain('supersecret');
    expect(registry.get('acme')?.config.apiKeys).toHaveLength(2);
    expect(audit.events).toEqual([]);
  });

  it('updates a tenant and tells listeners which fields changed', () => {
    const { registry, audit, changes } = fixture();
    const before = registry.get('acme');
    const after = registry.upsertTenant({ ...before!.config, plan: 'big', allowedIps: ['10.0.0.0/8'] });
    expect(after.limits.requestsPerSecond).toBe(500);
    expect(registry.get('acme')).toBe(after);
    expect(registry.authenticate('awk_one')).toMatchObject({ ok: true });
    expect(audit.events).toEqual([
      {
        type: 'policy.change',
        tenant: 'acme',
        data: { action: 'tenant.update', fields: ['plan', 'allowedIps'] },
      },
    ]);
    expect(changes).toEqual([
      {
        type: 'tenant.updated',
        tenantId: 'acme',
        tenant: after,
        previous: before,
        fields: ['plan', 'allowedIps'],
      },
    ]);
  });

  it('adds and removes tenants, keys with them', () => {
    const { registry, audit, changes } = fixture();
    registry.upsertTenant({ id: 'initech', apiKeys: [{ id: 'k', hash: hashApiKey('awk_initech') }] });
    expect(registry.ids()).toEqual(['acme', 'globex', 'initech']);
    expect(registry.authenticate('awk_initech')).toMatchObject({ ok: true });
    expect(registry.removeTenant('initech')).toBe(true);
    expect(registry.removeTenant('initech')).toBe(false);
    expect(registry.authenticate('awk_initech')).toEqual({ ok: false, reason: 'unknown' });
    expect(audit.events.map((e) => e.data)).toEqual([
      { action: 'tenant.add', fields: ['id', 'apiKeys'] },
      { action: 'tenant.remove' },
    ]);
    expect(changes.map((c) => c.type)).toEqual(['tenant.added', 'tenant.removed']);
  });

  it('leaves the registry unchanged when an update is invalid', () => {
    const { registry, audit, changes } = fixture();
    const before = registry.get('acme');
    const error = configError(() =>
      registry.upsertTenant({ id: 'acme', plan: 'huge', allowedIps: ['10.0.0.0/33'] }),
    );
    expect(error.problems).toEqual([
      'tenant.plan: unknown plan "huge"; defined plans: "small", "big"',
      'tenant.allowedIps[0]: "10.0.0.0/33": prefix length must be 0-32 for IPv4',
    ]);
    expect(registry.get('acme')).toBe(before);
    expect(audit.events).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('keeps going when a listener throws, and reports the error', () => {
    const errors: unknown[] = [];
    const registry = createTenantRegistry({ tenants: [{ id: 'a' }], onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    registry.onChange(() => {
      throw new Error('listener broke');
    });
    const unsubscribe = registry.onChange((change) => seen.push(change.type));
    registry.upsertTenant({ id: 'b' });
    unsubscribe();
    registry.upsertTenant({ id: 'c' });
    expect(registry.ids()).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['tenant.added']);
    expect(errors).toEqual([new Error('listener broke'), new Error('listener broke')]);
  });

  it('is not changed by later edits to the objects it was given', () => {
    const ips = ['10.0.0.0/8'];
    const tenant = { id: 'acme', allowedIps: ips };
    const registry = createTenantRegistry({ tenants: [tenant] });
    ips.push('0.0.0.0/0');
    expect(registry.get('acme')?.config.allowedIps).toEqual(['10.0.0.0/8']);
    expect(registry.get('acme')?.allowsIp('192.0.2.1')).toBe(false);
    expect(Object.isFrozen(registry.get('acme')?.config.allowedIps)).toBe(true);
  });
});

describe('bad configuration', () => {
  it('lists every problem with its path in one error', () => {
    const error = configError(() =>
      createTenantRegistry({
        plans: { free: { requestsPerSecond: 0 } },
        defaultPlan: 'gold',
        tenants: [
          { id: 'acme', apiKeys: [{ id: 'k', hash: hashApiKey('same') }] },
          {
            id: 'globex',
            allowedIps: ['10.0.0.0/33', '10.1.2.3/8', 'fe80::/10'],
            allowedOrigins: ['https://app.example.com/'],
            apiKeys: [
              { id: 'k', hash: hashApiKey('same') },
              { id: 'k', hash: `sha256:${'A'.repeat(64)}` },
            ],
          },
          { id: 'acme' },
          { id: 'Bad_Id' },
          {
            id: 'limits',
            plan: 'pro',
            limits: {
              requestsPerSecond: -1,
              spansPerSecond: Number.NaN,
              logLinesPerSecond: Infinity,
              requestBurst: 0.5,
            },
          },
        ],
      }),
    );
    expect(error.problems).toEqual([
      'plans.free.requestsPerSecond: 0 must be a positive finite number',
      'defaultPlan: unknown plan "gold"; defined plans: "free"',
      'tenants[1].apiKeys[0].hash: the same key is already configured as tenants[0].apiKeys[0] ("k"); every key must be distinct',
      'tenants[1].apiKeys[1].id: "k" is used twice in this tenant; key ids must be unique',
      'tenants[1].allowedIps[0]: "10.0.0.0/33": prefix length must be 0-32 for IPv4',
      'tenants[1].allowedIps[1]: "10.1.2.3/8": host bits are set; the network is 10.0.0.0/8 (write that, or 10.1.2.3/32 for the one address)',
      'tenants[1].allowedOrigins[0]: "https://app.example.com/": an origin has no path, query or fragment; remove "/" and write "https://app.example.com"',
      'tenants[2].id: "acme" is already used by tenants[0]',
      'tenants[3].id: Invalid tenant id "Bad_Id": it contains uppercase letters; use lowercase',
      'tenants[4].plan: unknown plan "pro"; defined plans: "free"',
      'tenants[4].limits.requestsPerSecond: -1 must be a positive finite number',
      'tenants[4].limits.requestBurst: 0.5 must be a finite number of at least 1 (a bucket smaller than one token allows nothing)',
      'tenants[4].limits.spansPerSecond: NaN must be a positive finite number',
      'tenants[4].limits.logLinesPerSecond: Infinity must be a positive finite number',
    ]);
    expect(error.message).toMatch(/^Invalid tenant configuration \(14 problems\):\n {2}plans\.free/);
  });

  it('suggests the field a typo meant, since an ignored allowedIP would allow every address', () => {
    const error = configError(() =>
      createTenantRegistry({ tenants: [{ id: 'a', allowedIP: ['10.0.0.0/8'] } as unknown as TenantConfig] }),
    );
    expect(error.problems).toEqual([
      'tenants[0].allowedIP: unknown field; did you mean "allowedIps"? (known: id, name, apiKeys, plan, limits, retention, allowedIps, allowedOrigins, redaction, encryption, orgId)',
    ]);
    expect(() => createTenantRegistry({ tenant: [] } as never)).toThrow(
      /tenant: unknown field; did you mean "tenants"\?/,
    );
  });

  it('refuses a plaintext key where a hash belongs, without showing it', () => {
    const error = configError(() =>
      createTenantRegistry({
        tenants: [
          {
            id: 'a',
            apiKeys: [
              { id: 'plain', hash: 'awk_live_0123456789abcdef' },
              'awk_live_fedcba9876543210' as never,
              { id: 'short', hash: 'sha256:abc' },
            ],
          },
        ],
      }),
    );
    expect(error.problems).toEqual([
      'tenants[0].apiKeys[0].hash: this looks like a plaintext API key or another format (value not shown); store hashApiKey(key), "sha256:<64 hex digits>", never the key',
      'tenants[0].apiKeys[1]: expected { id, hash }, got a bare string (not shown, in case it is a key); store { id: "name", hash: hashApiKey(key) }',
      'tenants[0].apiKeys[2].hash: expected "sha256:" followed by 64 hex digits, as hashApiKey(key) returns',
    ]);
    expect(error.message).not.toMatch(/0123456789abcdef|fedcba9876543210/);
  });

  it('accepts uppercase hex in a hash and stores it lowercased', () => {
    const hash = hashApiKey('awk_upper');
    const registry = createTenantRegistry({
      tenants: [{ id: 'a', apiKeys: [{ id: 'k', hash: `sha256:${hash.slice(7).toUpperCase()}` }] }],
    });
    expect(registry.get('a')?.config.apiKeys?.[0]?.hash).toBe(hash);
    expect(registry.authenticate('awk_upper').ok).toBe(true);
  });

  it.each([
    ['2025-01-01T00:00:00', /a zone is required/],
    ['next tuesday', /not an ISO 8601 instant/],
    ['2025-13-45', /not an ISO 8601 instant/],
    [1735689600000, /not an ISO 8601 instant/],
  ])('refuses the expiry %j', (expiresAt, why) => {
    expect(() =>
      createTenantRegistry({
        tenants: [{ id: 'a', apiKeys: [{ id: 'k', hash: hashApiKey('x'), expiresAt: expiresAt as string }] }],
      }),
    ).toThrow(why);
  });

  it('refuses two tenants writing to one backend org', () => {
    expect(() => createTenantRegistry({ tenants: [{ id: 'a' }, { id: 'b', orgId: 'a' }] })).toThrow(
      /tenants\[1\]\.orgId: "a" is already the org id of tenant "a"; two tenants would share backend data/,
    );
    expect(() => createTenantRegistry({ tenants: [{ id: 'a', orgId: 'x|y' }] })).toThrow(
      /not a valid X-Scope-OrgID/,
    );
  });

  it('checks retention, redaction and encryption, never echoing key material', () => {
    const error = configError(() =>
      createTenantRegistry({
        tenants: [
          {
            id: 'a',
            retention: { logs: '30 days' },
            redaction: { maskIps: 'yes' as never, denyAttributes: [''] },
            encryption: { current: 'k2', keys: { k1: 'hunter2-raw-secret' } },
          },
        ],
      }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(/^tenants\[0\]\.retention\.logs: "30 days" is not a duration/),
      'tenants[0].redaction.maskIps: expected true or false, got "yes"',
      'tenants[0].redaction.denyAttributes[0]: expected an attribute name (1-256 characters), got ""',
      'tenants[0].encryption.keys.k1: expected "base64:...", "hex:..." or "env:VARIABLE" (value not shown)',
      'tenants[0].encryption.current: "k2" must name one of the keys ("k1")',
    ]);
    expect(error.message).not.toContain('hunter2');
  });

  it('does not take inherited object properties for plans', () => {
    expect(() => createTenantRegistry({ tenants: [{ id: 'a', plan: 'constructor' }] })).toThrow(
      /unknown plan "constructor"; defined plans: none/,
    );
    expect(() => createTenantRegistry({ tenants: [{ id: 'a', plan: 'toString' }], plans: {} })).toThrow(
      /unknown plan "toString"/,
    );
  });

  it('turns hostile objects into a configuration error, not a crash', () => {
    const throwing = {
      get id(): string {
        throw new Error('boom\nsecond line');
      },
    };
    const error = configError(() => createTenantRegistry({ tenants: [throwing] }));
    expect(error.problems).toEqual(['tenants[0].id: could not be read (boom\\u000asecond line)']);
    expect(() => createTenantRegistry(null as never)).toThrow(/config: expected an object with "tenants"/);
    expect(() => createTenantRegistry({ tenants: 'acme' } as never)).toThrow(
      /tenants: expected a list of tenants/,
    );
    expect(() =>
      createTenantRegistry({ tenants: [{ id: 'a', redaction: { denyAttributes: [() => 1] } }] } as never),
    ).toThrow(TenantConfigError);
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys for you');
        },
      },
    );
    expect(() => createTenantRegistry(proxy as never)).toThrow(
      /config: could not be read \(no keys for you\)/,
    );
  });

  it('keeps each problem on one line whatever the field names contain', () => {
    const error = configError(() =>
      createTenantRegistry({
        tenants: [{ id: 'a', 'evil\nINFO fake log line': 1 } as unknown as TenantConfig],
      }),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^tenants\[0\]\["evil\\nINFO fake log line"\]: unknown field/);
    expect(error.message.split('\n')).toHaveLength(2);
  });

  it('caps the problems it shows but counts them all', () => {
    const tenants = Array.from({ length: 150 }, () => ({ id: 'BAD' }));
    const error = configError(() => createTenantRegistry({ tenants }));
    expect(error.problemCount).toBe(150);
    expect(error.message).toMatch(/\(150 problems\)/);
    expect(error.message).toMatch(/…and 50 more$/);
  });
});

describe('tenant files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tenant-files-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it('names the file and the line of a YAML syntax error', async () => {
    const path = await file('broken.yaml', 'tenants:\n  - id: a\n    allowedIps: [10.0.0.0/8\n');
    await expect(loadTenantRegistry(path)).rejects.toThrow(
      new RegExp(
        `Invalid tenant configuration in ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .*not valid YAML: .*line \\d+`,
        's',
      ),
    );
  });

  it('refuses duplicate YAML keys, which would silently drop the first value', async () => {
    const path = await file(
      'dup.yaml',
      'tenants:\n  - id: a\n    allowedIps: [10.0.0.0/8]\n    allowedIps: [0.0.0.0/0]\n',
    );
    await expect(loadTenantRegistry(path)).rejects.toThrow(/Map keys must be unique/);
  });

  it('names bad values by path, and unknown top-level fields', async () => {
    const path = await file('bad.yaml', 'tenant: []\ntenants:\n  - id: a\n    allowedIps: ["10.0.0.0/33"]\n');
    await expect(loadTenantRegistry(path)).rejects.toThrow(
      /tenant: unknown field; did you mean "tenants"\?.*\n {2}tenants\[0\]\.allowedIps\[0\]: "10\.0\.0\.0\/33": prefix length must be 0-32/s,
    );
  });

  it('explains bad JSON, empty files, missing files and unknown extensions', async () => {
    await expect(loadTenantRegistry(await file('bad.json', '{"tenants": ['))).rejects.toThrow(
      /not valid JSON/,
    );
    await expect(loadTenantRegistry(await file('empty.yaml', ''))).rejects.toThrow(/the file is empty/);
    await expect(loadTenantRegistry(join(dir, 'missing.yaml'))).rejects.toThrow(
      /cannot read the file \(ENOENT/,
    );
    await expect(loadTenantRegistry(await file('tenants.toml', ''))).rejects.toThrow(
      /unknown file type "\.toml"; name the tenant file \*\.yaml, \*\.yml or \*\.json/,
    );
    await expect(loadTenantRegistry(dir.concat('/'))).rejects.toThrow(TenantConfigError);
  });

  it('treats __proto__ in JSON as the unknown field it is', () => {
    expect(() => parseTenantRegistryConfig('{"tenants": [], "__proto__": {"x": 1}}', 'json')).toThrow(
      /tenants\.json \(1 problem\):\n {2}__proto__: unknown field/,
    );
  });

  it('refuses YAML alias bombs', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'tenants: [*d]',
    ].join('\n');
    expect(() => parseTenantRegistryConfig(bomb, 'yaml')).toThrow(TenantConfigError);
  });
});

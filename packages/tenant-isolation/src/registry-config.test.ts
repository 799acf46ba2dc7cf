import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey } from './credentials';
import type { TenantConfig } from './policy-types';
import {
  TenantConfigError,
  createTenantRegistry,
  loadTenantRegistry,
  parseTenantRegistryConfig,
} from './registry';
import { configError } from './test-fixtures/registry';

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

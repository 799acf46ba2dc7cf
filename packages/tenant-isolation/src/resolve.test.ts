import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CidrError } from './cidr';
import { hashApiKey } from './credentials';
import type { AuditEventInput, AuditSink } from './policy-types';
import { createTenantRegistry } from './registry';
import { TenantAccessError, createTenantResolver, resolveTenant, sendTenantError } from './resolve';
import type { ResolveTenantResult, TenantRequestLike } from './resolve';

function auditLog(): AuditSink & { events: AuditEventInput[] } {
  const events: AuditEventInput[] = [];
  return { events, record: (event) => void events.push(event) };
}

const now = Date.parse('2025-06-01T00:00:00Z');
const registry = createTenantRegistry({
  now: () => now,
  tenants: [
    {
      id: 'acme',
      apiKeys: [
        { id: 'main', hash: hashApiKey('awk_acme_main') },
        { id: 'old', hash: hashApiKey('awk_acme_old'), revoked: true },
        { id: 'temp', hash: hashApiKey('awk_acme_temp'), expiresAt: '2025-05-31T23:59:59Z' },
      ],
    },
    {
      id: 'office',
      apiKeys: [{ id: 'k', hash: hashApiKey('awk_office') }],
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
    },
    {
      id: 'web',
      apiKeys: [{ id: 'browser', hash: hashApiKey('awk_web') }],
      allowedOrigins: ['https://app.example.com', 'https://*.web.example', 'null'],
    },
    {
      id: 'server',
      apiKeys: [{ id: 'k', hash: hashApiKey('awk_server') }],
      allowedOrigins: [],
    },
  ],
});

function req(headers: TenantRequestLike['headers'], remoteAddress = '192.0.2.10'): TenantRequestLike {
  return { headers, remoteAddress };
}

function refused(result: ResolveTenantResult): TenantAccessError {
  if (result.ok) throw new Error(`expected a refusal, got tenant ${result.tenant.id}`);
  expect(result.error).toBeInstanceOf(TenantAccessError);
  return result.error;
}

describe('bearer keys', () => {
  it('resolves the tenant and key of a good key', () => {
    const result = resolveTenant(registry, req({ authorization: 'Bearer awk_acme_main' }));
    expect(result).toMatchObject({ ok: true, keyId: 'main', clientIp: '192.0.2.10' });
    expect(result.ok && result.tenant.id).toBe('acme');
  });

  it('accepts any case of the scheme and any case of the header name', () => {
    expect(resolveTenant(registry, req({ Authorization: 'bearer awk_acme_main' })).ok).toBe(true);
    expect(resolveTenant(registry, req({ AUTHORIZATION: 'BEARER   awk_acme_main ' })).ok).toBe(true);
  });

  it('refuses a request without a key with 401 and a bare Bearer challenge', () => {
    const error = refused(resolveTenant(registry, req({})));
    expect(error).toMatchObject({ status: 401, code: 'missing_credentials' });
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer realm="autoweave"' });
  });

  it.each([
    ['Basic YWxhZGRpbjpvcGVuc2VzYW1l'],
    ['Bearer'],
    ['Bearer '],
    ['awk_acme_main'],
    ['Bearer awk_acme_main extra'],
    ['Bearer awk acme'],
    ['Bearer awk_acme_main, Bearer awk_acme_main'],
    [['Bearer awk_acme_main', 'Bearer awk_acme_main']],
    [`Bearer ${'a'.repeat(600)}`],
  ])('refuses the malformed Authorization %j', (authorization) => {
    const error = refused(resolveTenant(registry, req({ authorization })));
    expect(error).toMatchObject({ status: 401, code: 'malformed_credentials' });
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="autoweave", error="invalid_token"');
  });

  it.each([
    ['awk_nope', 'unknown_key', undefined],
    ['awk_acme_old', 'revoked_key', 'acme'],
    ['awk_acme_temp', 'expired_key', 'acme'],
  ])("refuses %s with 401 %s, naming the key's tenant when known", (key, code, tenantId) => {
    const error = refused(resolveTenant(registry, req({ authorization: `Bearer ${key}` })));
    expect(error).toMatchObject({ status: 401, code });
    expect(error.tenantId).toBe(tenantId);
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="autoweave", error="invalid_token"');
  });

  it('audits failures with the code and address, never the key', () => {
    const audit = auditLog();
    const resolve = createTenantResolver(registry, { audit });
    resolve(req({ authorization: 'Bearer awk_nope_secret' }));
    resolve(req({ authorization: 'Bearer awk_acme_old' }));
    resolve(req({}));
    expect(audit.events).toEqual([
      {
        type: 'auth.failure',
        data: {
          code: 'unknown_key',
          ip: '192.0.2.10',
          keyFingerprint: hashApiKey('awk_nope_secret').slice(0, 15),
        },
      },
      {
        type: 'auth.failure',
        tenant: 'acme',
        data: {
          code: 'revoked_key',
          ip: '192.0.2.10',
          keyFingerprint: hashApiKey('awk_acme_old').slice(0, 15),
          keyId: 'old',
        },
      },
      { type: 'auth.failure', data: { code: 'missing_credentials', ip: '192.0.2.10' } },
    ]);
    expect(JSON.stringify(audit.events)).not.toMatch(/awk_nope_secret|awk_acme_old/);
  });

  it('uses the configured realm', () => {
    const error = refused(createTenantResolver(registry, { realm: 'my "api"' })(req({})));
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="my api"');
  });
});

describe('X-Tenant-ID', () => {
  it('is accepted when it names the tenant of the key', () => {
    const result = resolveTenant(
      registry,
      req({ authorization: 'Bearer awk_acme_main', 'x-tenant-id': 'acme' }),
    );
    expect(result.ok).toBe(true);
  });

  it('is never trusted: a different tenant is refused with 403 tenant_mismatch and audited', () => {
    const audit = auditLog();
    const result = resolveTenant(
      registry,
      req({ authorization: 'Bearer awk_acme_main', 'X-Tenant-ID': 'globex' }),
      { audit },
    );
    // The verified tenant (the key's), never the claimed one, so refusals can be labelled by it.
    expect(refused(result)).toMatchObject({
      status: 403,
      code: 'tenant_mismatch',
      headers: {},
      tenantId: 'acme',
    });
    expect(audit.events).toEqual([
      {
        type: 'auth.tenant_mismatch',
        tenant: 'acme',
        data: { code: 'tenant_mismatch', ip: '192.0.2.10', keyId: 'main', claimedTenant: 'globex' },
      },
    ]);
  });

  it.each([[['acme', 'globex']], [''], ['ACME'], ['acme, globex']])(
    'refuses the claim %j for tenant acme',
    (claim) => {
      const result = resolveTenant(
        registry,
        req({ authorization: 'Bearer awk_acme_main', 'x-tenant-id': claim }),
      );
      expect(refused(result).code).toBe('tenant_mismatch');
    },
  );

  it('is recorded sanitised and truncated, so a claim cannot forge audit lines', () => {
    const audit = auditLog();
    const claim = `evil\r\n{"type":"policy.change"}\u202e${'x'.repeat(500)}`;
    resolveTenant(registry, req({ authorization: 'Bearer awk_acme_main', 'x-tenant-id': claim }), { audit });
    const recorded = audit.events[0]?.data?.claimedTenant as string;
    expect(recorded).toMatch(/^evil\\u\{d\}\\u\{a\}\{"type":"policy.change"\}\\u\{202e\}x+…$/);
    expect(recorded).not.toMatch(/[\r\n\u202e]/);
    expect(recorded.length).toBeLessThan(120);
  });

  it('is recorded with failed authentications too', () => {
    const audit = auditLog();
    resolveTenant(registry, req({ authorization: 'Bearer awk_nope', 'x-tenant-id': 'acme' }), { audit });
    expect(audit.events[0]).toMatchObject({
      type: 'auth.failure',
      data: { code: 'unknown_key', claimedTenant: 'acme' },
    });
  });
});

describe('IP allow-lists', () => {
  const office = (remoteAddress: string, headers: TenantRequestLike['headers'] = {}) =>
    req({ authorization: 'Bearer awk_office', ...headers }, remoteAddress);

  it('allows clients inside the ranges, IPv4-mapped included', () => {
    expect(resolveTenant(registry, office('10.1.2.3')).ok).toBe(true);
    expect(resolveTenant(registry, office('::ffff:10.1.2.3'))).toMatchObject({
      ok: true,
      clientIp: '10.1.2.3',
    });
    expect(resolveTenant(registry, office('2001:db8::7')).ok).toBe(true);
  });

  it('refuses other clients with 403 ip_not_allowed, audited', () => {
    const audit = auditLog();
    const error = refused(resolveTenant(registry, office('192.0.2.10'), { audit }));
    expect(error).toMatchObject({ status: 403, code: 'ip_not_allowed' });
    expect(audit.events).toEqual([
      {
        type: 'auth.ip_denied',
        tenant: 'office',
        data: { code: 'ip_not_allowed', ip: '192.0.2.10', keyId: 'k' },
      },
    ]);
  });

  it('refuses when the client address is unknown', () => {
    expect(refused(resolveTenant(registry, { headers: { authorization: 'Bearer awk_office' } })).code).toBe(
      'ip_not_allowed',
    );
    expect(refused(resolveTenant(registry, office('not-an-ip'))).code).toBe('ip_not_allowed');
  });

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', () => {
    const spoofed = office('192.0.2.10', { 'x-forwarded-for': '10.1.2.3' });
    expect(refused(resolveTenant(registry, spoofed)).code).toBe('ip_not_allowed');
    expect(refused(resolveTenant(registry, spoofed, { trustProxy: ['198.51.100.0/24'] })).code).toBe(
      'ip_not_allowed',
    );
  });

  it('believes X-Forwarded-For from a trusted proxy', () => {
    const viaProxy = office('198.51.100.1', { 'x-forwarded-for': '10.1.2.3' });
    expect(resolveTenant(registry, viaProxy, { trustProxy: ['198.51.100.0/24'] })).toMatchObject({
      ok: true,
      clientIp: '10.1.2.3',
    });
  });

  it('takes the rightmost untrusted hop, so a client cannot prepend an allowed address', () => {
    const trustProxy = ['198.51.100.0/24', '203.0.113.0/24'];
    // The attacker at 192.0.2.66 sends "X-Forwarded-For: 10.1.2.3"; the proxies append what they saw.
    const forged = office('198.51.100.1', { 'x-forwarded-for': '10.1.2.3, 192.0.2.66, 203.0.113.5' });
    const result = resolveTenant(registry, forged, { trustProxy });
    expect(refused(result).code).toBe('ip_not_allowed');
    const honest = office('198.51.100.1', { 'x-forwarded-for': ['192.0.2.99, 10.1.2.3', '203.0.113.5'] });
    expect(resolveTenant(registry, honest, { trustProxy })).toMatchObject({ ok: true, clientIp: '10.1.2.3' });
  });

  it('reads hops with ports and brackets', () => {
    const trustProxy = ['198.51.100.0/24'];
    expect(
      resolveTenant(registry, office('198.51.100.1', { 'x-forwarded-for': '10.1.2.3:51234' }), { trustProxy })
        .ok,
    ).toBe(true);
    expect(
      resolveTenant(registry, office('198.51.100.1', { 'x-forwarded-for': '[2001:db8::5]:443' }), {
        trustProxy,
      }).ok,
    ).toBe(true);
  });

  it('treats a garbled or overlong forwarding chain as an unknown client', () => {
    const trustProxy = ['198.51.100.0/24'];
    for (const xff of [
      'unknown',
      '10.1.2.3,,198.51.100.2',
      '10.1.2.3, ::ffff:zz',
      `10.1.2.3${', 198.51.100.2'.repeat(70)}`,
    ]) {
      const result = resolveTenant(registry, office('198.51.100.1', { 'x-forwarded-for': xff }), {
        trustProxy,
      });
      expect(refused(result).code).toBe('ip_not_allowed');
    }
  });

  it('rejects a bad trustProxy CIDR when the resolver is created', () => {
    expect(() => createTenantResolver(registry, { trustProxy: ['10.0.0.0/33'] })).toThrow(CidrError);
  });
});

describe('origin checks', () => {
  const web = (origin?: string | string[]) =>
    req({ authorization: 'Bearer awk_web', ...(origin === undefined ? {} : { origin }) });

  it('allows listed origins, wildcard subdomains and a listed null', () => {
    expect(resolveTenant(registry, web('https://app.example.com')).ok).toBe(true);
    expect(resolveTenant(registry, web('https://eu.web.example')).ok).toBe(true);
    expect(resolveTenant(registry, web('null')).ok).toBe(true);
  });

  it('refuses other origins with 403 origin_not_allowed, audited', () => {
    const audit = auditLog();
    const error = refused(resolveTenant(registry, web('https://evil.test'), { audit }));
    expect(error).toMatchObject({ status: 403, code: 'origin_not_allowed' });
    expect(audit.events).toEqual([
      {
        type: 'auth.origin_denied',
        tenant: 'web',
        data: { code: 'origin_not_allowed', ip: '192.0.2.10', keyId: 'browser', origin: 'https://evil.test' },
      },
    ]);
  });

  it('requires scheme and port to match', () => {
    expect(refused(resolveTenant(registry, web('http://app.example.com'))).code).toBe('origin_not_allowed');
    expect(refused(resolveTenant(registry, web('https://app.example.com:8443'))).code).toBe(
      'origin_not_allowed',
    );
    expect(refused(resolveTenant(registry, web('https://web.example'))).code).toBe('origin_not_allowed');
  });

  it('refuses two Origin values', () => {
    const result = resolveTenant(registry, web(['https://app.example.com', 'https://app.example.com']));
    expect(refused(result).code).toBe('origin_not_allowed');
  });

  it('lets requests without Origin through unless requireOrigin is set', () => {
    expect(resolveTenant(registry, web()).ok).toBe(true);
    expect(refused(resolveTenant(registry, web(), { requireOrigin: true })).code).toBe('origin_not_allowed');
    // requireOrigin only concerns tenants that have an origin list.
    expect(
      resolveTenant(registry, req({ authorization: 'Bearer awk_acme_main' }), { requireOrigin: true }).ok,
    ).toBe(true);
  });

  it('refuses every browser origin for a tenant with an empty list, and allows server calls', () => {
    const server = (headers: TenantRequestLike['headers']) =>
      resolveTenant(registry, req({ authorization: 'Bearer awk_server', ...headers }));
    expect(server({}).ok).toBe(true);
    expect(refused(server({ origin: 'https://app.example.com' })).code).toBe('origin_not_allowed');
    expect(refused(server({ origin: 'null' })).code).toBe('origin_not_allowed');
  });

  it('allows any origin for tenants without a list', () => {
    expect(
      resolveTenant(registry, req({ authorization: 'Bearer awk_acme_main', origin: 'https://x.test' })).ok,
    ).toBe(true);
  });
});

describe('request shapes', () => {
  it('reads fetch Headers', () => {
    const headers = new Headers({ Authorization: 'Bearer awk_web', Origin: 'https://app.example.com' });
    expect(resolveTenant(registry, { headers, remoteAddress: '192.0.2.1' }).ok).toBe(true);
    headers.set('X-Tenant-ID', 'acme');
    expect(refused(resolveTenant(registry, { headers })).code).toBe('tenant_mismatch');
  });

  it('counts differently cased duplicates of a header as several values', () => {
    const result = resolveTenant(
      registry,
      req({ authorization: 'Bearer awk_acme_main', 'x-tenant-id': 'acme', 'X-Tenant-Id': 'globex' }),
    );
    expect(refused(result).code).toBe('tenant_mismatch');
  });

  it('survives an audit sink that throws', () => {
    const audit: AuditSink = {
      record() {
        throw new Error('sink down');
      },
    };
    expect(refused(resolveTenant(registry, req({}), { audit })).code).toBe('missing_credentials');
  });
});

describe('over HTTP', () => {
  it('resolves Node requests by socket address and writes refusals with sendTenantError', async () => {
    const resolve = createTenantResolver(registry);
    const server = createServer((request, response) => {
      const result = resolve(request);
      if (!result.ok) {
        sendTenantError(response, result.error);
        return;
      }
      response.end(JSON.stringify({ tenant: result.tenant.id, ip: result.clientIp }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const call = (headers: Record<string, string | string[]>) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: unknown }>(
        (resolveCall, reject) => {
          const outgoing = httpRequest({ host: '127.0.0.1', port, path: '/', headers }, (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () =>
              resolveCall({
                status: response.statusCode ?? 0,
                headers: response.headers,
                body: JSON.parse(body),
              }),
            );
          });
          outgoing.on('error', reject);
          outgoing.end();
        },
      );
    try {
      expect(await call({ authorization: 'Bearer awk_acme_main' })).toMatchObject({
        status: 200,
        body: { tenant: 'acme', ip: '127.0.0.1' },
      });
      expect(await call({ authorization: 'Bearer awk_nope' })).toMatchObject({
        status: 401,
        headers: {
          'www-authenticate': 'Bearer realm="autoweave", error="invalid_token"',
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        },
        body: { error: 'unknown_key', message: 'The API key is not valid.' },
      });
      // Node's req.headers would keep only the first; both are seen and the request is refused.
      expect(await call({ authorization: ['Bearer awk_acme_main', 'Bearer awk_office'] })).toMatchObject({
        status: 401,
        body: { error: 'malformed_credentials' },
      });
      expect(await call({ authorization: 'Bearer awk_office' })).toMatchObject({
        status: 403,
        body: { error: 'ip_not_allowed' },
      });
      expect(await call({ authorization: 'Bearer awk_acme_main', 'x-tenant-id': 'office' })).toMatchObject({
        status: 403,
        body: { error: 'tenant_mismatch' },
      });
    } finally {
      server.close();
      await once(server, 'close');
    }
  });

  it('sendTenantError does not throw once headers are sent', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200);
      response.write('partial');
      sendTenantError(response, new TenantAccessError('unknown_key'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const body = await new Promise<string>((resolveBody, reject) => {
        httpRequest({ host: '127.0.0.1', port }, (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolveBody(text));
        })
          .on('error', reject)
          .end();
      });
      expect(body).toBe('partial');
    } finally {
      server.close();
      await once(server, 'close');
    }
  });
});

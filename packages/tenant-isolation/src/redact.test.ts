import { seededRandom } from '@autoweave/test-utils';
import type { RedactionPolicy, TenantKeySet } from './policy-types';
import { DEFAULT_DENY_ATTRIBUTES, createRedactor, type RedactableLogRecord } from './redact';
import { createTenantCipher, generateTenantKey } from './tenant-cipher';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('redactString', () => {
  const redactor = createRedactor();
  const r = (s: string) => redactor.redactString(s);

  it('masks e-mail addresses', () => {
    expect(r('contact alice.smith+orders@example.co.uk today')).toBe('contact [email] today');
    expect(r('to: <bob_99@mail.example.com>, cc: carol@example.org.')).toBe('to: <[email]>, cc: [email].');
    expect(r('{"email":"dave@example.io"}')).toBe('{"email":"[email]"}');
    expect(r('a@b.co')).toBe('[email]');
  });

  it('leaves @ that is not an address: packages, handles, image densities, digests', () => {
    for (const s of [
      'installed lodash@4.17.21 and @autoweave/logging@0.1.0',
      'ping @oncall about it',
      'served /img/icon@2x.png',
      'image orders@sha256:abc123',
      'user@localhost',
    ]) {
      expect(r(s)).toBe(s);
    }
  });

  it('masks the credential after Bearer and Basic, keeping the scheme', () => {
    expect(r('sent Bearer abcDEF123456789xyz upstream')).toBe('sent Bearer [bearer] upstream');
    expect(r('bearer 0123456789abcdef')).toBe('bearer [bearer]');
    expect(r('proxy used Basic dXNlcjpwYXNzd29yZA== for it')).toBe('proxy used Basic [bearer] for it');
  });

  it('masks whole Authorization header values, scheme included', () => {
    expect(r('Authorization: Bearer abcDEF123456789xyz')).toBe('Authorization: [redacted]');
    expect(r('authorization=Basic dXNlcjpwYXNz; next')).toBe('authorization=[redacted]; next');
    expect(r('{"Authorization":"Token abc def"}')).toBe('{"Authorization":"[redacted]"}');
  });

  it('does not take prose after "bearer" or "basic" for a credential', () => {
    for (const s of [
      'the bearer of news',
      'Bearer authentication failed',
      'basic plan',
      'Basic auth disabled',
    ]) {
      expect(r(s)).toBe(s);
    }
  });

  it('masks JSON Web Tokens', () => {
    expect(r(`id_token ${JWT} issued`)).toBe('id_token [jwt] issued');
    expect(r(`"jwt":"${JWT}"`)).toBe('"jwt":"[jwt]"');
  });

  it('masks keys with known vendor prefixes', () => {
    const keys = [
      'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
      'rk_live_51HqLyjWDarjtT1zdp7dcXY',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz',
      'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp',
      'AKIAIOSFODNN7EXAMPLE',
      'AIzaSyA-1234567890abcdefghijklmnopqrstu',
      'glpat-abcdefghijklmnopqrst',
      'npm_abcdefghijklmnopqrstuvwxyz0123456789',
      'awk_Q2xhdWRlIHdhcyBoZXJlIGluIDIwMjQgYW5kIGl0IHdvcmtz',
    ];
    for (const key of keys) expect(r(`using ${key} now`)).toBe('using [api-key] now');
  });

  it('does not mask prefixes inside longer words or too-short keys', () => {
    for (const s of ['task_live_thing', 'xAKIAIOSFODNN7EXAMPLE', 'ghp_short', 'desk_live_1234567890ab']) {
      expect(r(s)).toBe(s);
    }
  });

  it('masks values of secret-named keys in logfmt, query strings, JSON and headers', () => {
    expect(r('login user=bob password=hunter2 ok')).toBe('login user=bob password=[redacted] ok');
    expect(r('GET /cb?code=1&access_token=abc.def&state=x')).toBe(
      'GET /cb?code=1&access_token=[redacted]&state=x',
    );
    expect(r('{"user":"bob","Password":"hun ter\\"2","n":1}')).toBe(
      '{"user":"bob","Password":"[redacted]","n":1}',
    );
    expect(r("config {client_secret: 'shh', region: 'eu'}")).toBe(
      "config {client_secret: '[redacted]', region: 'eu'}",
    );
    expect(r('X-Api-Key: 12345abcde')).toBe('X-Api-Key: [redacted]');
    expect(r('API_KEY=abc123')).toBe('API_KEY=[redacted]');
    expect(r('Cookie: sid=abc123; theme=dark')).toBe('Cookie: [redacted]');
    expect(r('Set-Cookie: sid=abc123; Path=/; HttpOnly\nnext line')).toBe(
      'Set-Cookie: [redacted]\nnext line',
    );
    expect(r('url?X-Amz-Signature=3f2a9c&X-Amz-Date=20240514')).toBe(
      'url?X-Amz-Signature=[redacted]&X-Amz-Date=20240514',
    );
    expect(r('password=[hunter2] x')).toBe('password=[redacted] x');
  });

  it('leaves secret-looking names whose value is not a secret', () => {
    for (const s of [
      'tokenizer: v2',
      'token_count=512 max_tokens: 1024',
      'has_secret: false, token: null, password: none',
      'nextPageToken=CiAKGjBpNDd2Nmp2',
      'password reset requested',
      'password=[redacted] already',
      'token: [REDACTED]',
    ]) {
      expect(r(s)).toBe(s);
    }
  });

  it('masks the user:password of URLs and keeps the host', () => {
    expect(r('connecting to postgres://app:s3cr3t@db.internal:5432/orders')).toBe(
      'connecting to postgres://[redacted]@db.internal:5432/orders',
    );
    expect(r('https://api.example.com/v2/orders?page=2')).toBe('https://api.example.com/v2/orders?page=2');
  });

  it('masks Luhn-valid card numbers, plain or grouped by spaces or dashes', () => {
    expect(r('paid with 4111111111111111 today')).toBe('paid with [card] today');
    expect(r('paid with 4111 1111 1111 1111.')).toBe('paid with [card].');
    expect(r('amex 3782-822463-10005 ok')).toBe('amex [card] ok');
    expect(r('card=5555555555554444;')).toBe('card=[card];');
    expect(r('"pan":"6011111111111117"')).toBe('"pan":"[card]"');
    expect(r('paid 4111111111111111 12 times')).toBe('paid [card] 12 times');
    expect(r('qty 12 4111 1111 1111 1111 ok')).toBe('qty 12 [card] ok');
    expect(r('two cards 4111111111111111 and 5555 5555 5555 4444')).toBe('two cards [card] and [card]');
  });

  it('does not mask long numbers that fail Luhn, lack a card prefix, or are part of a token or decimal', () => {
    for (const s of [
      'batch 4111111111111112 settled',
      'id 1234567812345670',
      'ts 1715681551512345',
      'hex 4111111111111111abc',
      'v4111111111111111',
      'pi 3.4111111111111111',
      'ledger 4111-1111-1111-1112',
      'phone +86 138 0013 8000',
      'isbn 978-0-13-468599-1',
    ]) {
      expect(r(s)).toBe(s);
    }
  });

  it('masks several kinds in one line and counts each kind', () => {
    const redactor2 = createRedactor();
    const line = `user alice@example.com paid 4111 1111 1111 1111 with Bearer abc123DEF456ghi using ${JWT} key=sk_live_4eC39HqLyjWDarjtT1zdp7dc password=x`;
    expect(redactor2.redactString(line)).toBe(
      'user [email] paid [card] with Bearer [bearer] using [jwt] key=[api-key] password=[redacted]',
    );
    expect(redactor2.stats()).toMatchObject({ email: 1, card: 1, bearer: 1, jwt: 1, api_key: 1, secret: 1 });
  });
});

describe('IP masking', () => {
  const policies: Record<string, RedactionPolicy> = { strict: { maskIps: true }, relaxed: {} };
  const redactor = createRedactor({ policyFor: (tenant) => policies[tenant] });

  it('masks IPv4 and IPv6 only for tenants whose policy asks', () => {
    const line = 'client 203.0.113.7:443 via 2001:db8::8a2e:370:7334 and fe80::1%eth0 and ::ffff:10.0.0.1';
    expect(redactor.redactString(line, 'strict')).toBe('client [ip]:443 via [ip] and [ip]%eth0 and [ip]');
    expect(redactor.redactString(line, 'relaxed')).toBe(line);
    expect(redactor.redactString(line)).toBe(line);
  });

  it('masks full uncompressed IPv6 and loopback', () => {
    expect(redactor.redactString('from 2001:0db8:85a3:0000:0000:8a2e:0370:7334 and ::1', 'strict')).toBe(
      'from [ip] and [ip]',
    );
  });

  it('leaves times, MAC addresses, versions with a v, scoped names and out-of-range octets', () => {
    for (const s of [
      'at 12:30:45.123 and 10:30',
      'device 00:1a:2b:3c:4d:5e',
      'release v1.2.3.4 and 1.2.3',
      'std::vector and tokio::runtime',
      'build 10.0.19045.3803',
      'addr 256.1.1.1 and 1.2.3.4.5',
    ]) {
      expect(redactor.redactString(s, 'strict')).toBe(s);
    }
  });

  it('masks a four-part number that is a valid dotted quad (the documented trade-off)', () => {
    expect(redactor.redactString('version 1.2.3.4', 'strict')).toBe('version [ip]');
  });
});

describe('redactAttributes', () => {
  it('masks denied names whatever their case, separators or prefix', () => {
    const redactor = createRedactor();
    const out = redactor.redactAttributes({
      'X-Api-Key': 'abc',
      'api.key': 'abc',
      apiKey: 'abc',
      API_KEY: 'abc',
      APIKey: 'abc',
      'http.request.header.authorization': ['Bearer abc'],
      'http.response.header.set-cookie': 'sid=1',
      userPassword: 'hunter2',
      'db.password': 'hunter2',
      aws_secret_access_key: 'x',
      refreshToken: 'x',
      'http.method': 'GET',
      token_count: 12,
      passwordless: true,
      'cookie.consent': 'yes',
    });
    expect(out).toEqual({
      'X-Api-Key': '[redacted]',
      'api.key': '[redacted]',
      apiKey: '[redacted]',
      API_KEY: '[redacted]',
      APIKey: '[redacted]',
      'http.request.header.authorization': '[redacted]',
      'http.response.header.set-cookie': '[redacted]',
      userPassword: '[redacted]',
      'db.password': '[redacted]',
      aws_secret_access_key: '[redacted]',
      refreshToken: '[redacted]',
      'http.method': 'GET',
      token_count: 12,
      passwordless: true,
      'cookie.consent': 'yes',
    });
    expect(redactor.stats().denied).toBe(11);
  });

  it('adds global denyAttributes to the defaults, or replaces them with defaultDenyAttributes: false', () => {
    const added = createRedactor({ denyAttributes: ['ssn'] });
    expect(added.redactAttributes({ 'user.ssn': '078-05-1120', password: 'x' })).toEqual({
      'user.ssn': '[redacted]',
      password: '[redacted]',
    });
    const only = createRedactor({ denyAttributes: ['ssn'], defaultDenyAttributes: false });
    expect(only.redactAttributes({ ssn: '1', password: 'plain' })).toEqual({
      ssn: '[redacted]',
      password: 'plain',
    });
    expect(DEFAULT_DENY_ATTRIBUTES).toContain('password');
  });

  it("applies a tenant's own deny list to that tenant only", () => {
    const redactor = createRedactor({
      policyFor: (t) => (t === 'acme' ? { denyAttributes: ['customer.name'] } : undefined),
    });
    expect(redactor.redactAttributes({ 'customer.name': 'Bob' }, 'acme')).toEqual({
      'customer.name': '[redacted]',
    });
    expect(redactor.redactAttributes({ 'customer.name': 'Bob' }, 'globex')).toEqual({
      'customer.name': 'Bob',
    });
  });

  it('scans every string, nested object and array item, and card numbers held as numbers', () => {
    const redactor = createRedactor();
    const input = {
      'exception.message': 'no account for carol@example.com',
      tags: ['ok', 'dave@example.com'],
      order: { payer: { contact: 'erin@example.com' }, pan: 4111111111111111, total: 1299 },
      big: 5555555555554444n,
      count: 3,
    };
    expect(redactor.redactAttributes(input)).toEqual({
      'exception.message': 'no account for [email]',
      tags: ['ok', '[email]'],
      order: { payer: { contact: '[email]' }, pan: '[card]', total: 1299 },
      big: '[card]',
      count: 3,
    });
  });

  it('returns a copy and leaves the caller’s objects untouched', () => {
    const redactor = createRedactor();
    const nested = { email: 'frank@example.com' };
    const input = { user: nested, list: ['grace@example.com'], password: 'x' };
    const out = redactor.redactAttributes(input);
    expect(out).not.toBe(input);
    expect(input).toEqual({
      user: { email: 'frank@example.com' },
      list: ['grace@example.com'],
      password: 'x',
    });
    expect(out).toEqual({ user: { email: '[email]' }, list: ['[email]'], password: '[redacted]' });
  });

  it('redacts attribute names that hold personal data, keeping colliding names apart', () => {
    const redactor = createRedactor();
    expect(redactor.redactAttributes({ 'alice@example.com': 1, 'bob@example.com': 2, plain: 3 })).toEqual({
      '[email]': 1,
      '[email]#2': 2,
      plain: 3,
    });
  });
});

describe('sensitive attributes', () => {
  const keys: Record<string, TenantKeySet> = {
    acme: { current: 'k1', keys: { k1: generateTenantKey() } },
    globex: { current: 'k1', keys: { k1: generateTenantKey() } },
  };
  const policies: Record<string, RedactionPolicy> = {
    acme: { sensitiveAttributes: ['user.email', 'customer'] },
    globex: { sensitiveAttributes: ['user.email'] },
    initech: { sensitiveAttributes: ['user.email'] },
  };
  const cipher = createTenantCipher({ keysFor: (t) => keys[t] });

  it('encrypts them under the tenant key so only that tenant can decrypt them', () => {
    const redactor = createRedactor({ policyFor: (t) => policies[t], cipher });
    const out = redactor.redactAttributes(
      { 'user.email': 'alice@example.com', customer: { id: 7, name: 'Alice' }, 'http.method': 'GET' },
      'acme',
    );
    expect(out['http.method']).toBe('GET');
    const email = out['user.email'] as string;
    expect(email).toMatch(/^awenc:v1:k1:/);
    expect(cipher.decrypt('acme', email)).toBe('alice@example.com');
    expect(JSON.parse(cipher.decrypt('acme', out.customer as string))).toEqual({ id: 7, name: 'Alice' });
    expect(() => cipher.decrypt('globex', email)).toThrow();
    expect(redactor.stats()).toMatchObject({ encrypted: 2, email: 0 });
  });

  it('masks them, never leaving them in clear, when the tenant has no key or there is no cipher', () => {
    const withCipher = createRedactor({ policyFor: (t) => policies[t], cipher });
    expect(withCipher.redactAttributes({ 'user.email': 'a@example.com' }, 'initech')).toEqual({
      'user.email': '[sensitive]',
    });
    const withoutCipher = createRedactor({ policyFor: (t) => policies[t] });
    expect(withoutCipher.redactAttributes({ 'user.email': 'plain text' }, 'acme')).toEqual({
      'user.email': '[sensitive]',
    });
    expect(withoutCipher.stats().sensitive).toBe(1);
  });

  it('masks them when the cipher throws', () => {
    const redactor = createRedactor({
      policyFor: (t) => policies[t],
      cipher: {
        canEncrypt: () => true,
        encrypt: () => {
          throw new Error('kms down');
        },
      },
    });
    expect(redactor.redactAttributes({ 'user.email': 'a@example.com' }, 'acme')).toEqual({
      'user.email': '[sensitive]',
    });
  });

  it('leaves values that are already encrypted as they are', () => {
    const redactor = createRedactor({ policyFor: (t) => policies[t], cipher });
    const once = redactor.redactAttributes({ 'user.email': 'a@example.com' }, 'acme');
    expect(redactor.redactAttributes(once, 'acme')).toEqual(once);
  });

  it('lets the global deny list win over a tenant marking the same name sensitive', () => {
    const redactor = createRedactor({ policyFor: () => ({ sensitiveAttributes: ['password'] }), cipher });
    expect(redactor.redactAttributes({ password: 'x' }, 'acme')).toEqual({ password: '[redacted]' });
  });
});

describe('logHook', () => {
  const keys: Record<string, TenantKeySet> = { acme: { current: 'k1', keys: { k1: generateTenantKey() } } };
  const cipher = createTenantCipher({ keysFor: (t) => keys[t] });
  const policies: Record<string, RedactionPolicy> = {
    acme: { maskIps: true, sensitiveAttributes: ['customer_email'] },
  };
  const MESSAGE = Symbol.for('message');

  function record(fields: Record<string, unknown>): RedactableLogRecord {
    return {
      level: 'info',
      message: 'hello',
      timestamp: '2024-05-14T10:22:31.512Z',
      service: 'orders',
      environment: 'test',
      ...fields,
    };
  }

  it('redacts the message and every field in place, leaving the correlation fields alone', () => {
    const redactor = createRedactor({ policyFor: (t) => policies[t], cipher });
    const input = record({
      message: 'login by alice@example.com from 203.0.113.7',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      tenant_id: 'acme',
      component: 'auth',
      password: 'hunter2',
      customer_email: 'bob@example.com',
      request: { headers: { authorization: 'Bearer abc123DEF456' }, path: '/login' },
      stack: 'Error: no user carol@example.com\n    at login (/app/src/auth.ts:12:5)',
    });
    (input as unknown as Record<symbol, unknown>)[MESSAGE] = 'kept';
    const out = redactor.logHook(input);
    expect(out).toBe(input);
    expect(out).toMatchObject({
      level: 'info',
      message: 'login by [email] from [ip]',
      timestamp: '2024-05-14T10:22:31.512Z',
      service: 'orders',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      tenant_id: 'acme',
      component: 'auth',
      password: '[redacted]',
      request: { headers: { authorization: '[redacted]' }, path: '/login' },
      stack: 'Error: no user [email]\n    at login (/app/src/auth.ts:12:5)',
    });
    expect(cipher.decrypt('acme', (out as RedactableLogRecord).customer_email as string)).toBe(
      'bob@example.com',
    );
    expect((input as unknown as Record<symbol, unknown>)[MESSAGE]).toBe('kept');
  });

  it("uses the record's tenant_id for the policy: no IP masking outside that tenant", () => {
    const redactor = createRedactor({ policyFor: (t) => policies[t] });
    expect(redactor.logHook(record({ message: 'from 203.0.113.7', tenant_id: 'globex' }))).toMatchObject({
      message: 'from 203.0.113.7',
    });
    expect(redactor.logHook(record({ message: 'from 203.0.113.7' }))).toMatchObject({
      message: 'from 203.0.113.7',
    });
  });

  it('redacts a caller-supplied trace_id that is not a hex id (outside a span the logger keeps the caller’s)', () => {
    const redactor = createRedactor();
    expect(
      redactor.logHook(
        record({ trace_id: 'for hana@example.com', span_id: '00f067aa0ba902b7', trace_flags: '01' }),
      ),
    ).toMatchObject({ trace_id: 'for [email]', span_id: '00f067aa0ba902b7', trace_flags: '01' });
  });

  it('does not change the objects the caller passed as metadata', () => {
    const redactor = createRedactor();
    const meta = { user: { email: 'dana@example.com' } };
    const out = redactor.logHook(record({ ...meta }));
    expect(out).toMatchObject({ user: { email: '[email]' } });
    expect(meta.user.email).toBe('dana@example.com');
  });

  it('redacts non-string messages', () => {
    const redactor = createRedactor();
    expect(redactor.logHook(record({ message: { to: 'erin@example.com', n: 1 } }))).toMatchObject({
      message: { to: '[email]', n: 1 },
    });
  });

  it('drops the record (returns false) and counts it when the policy lookup throws', () => {
    const redactor = createRedactor({
      policyFor: () => {
        throw new Error('registry unavailable');
      },
    });
    expect(redactor.logHook(record({ tenant_id: 'acme', message: 'x' }))).toBe(false);
    expect(redactor.stats().failed).toBe(1);
  });

  it('masks every attribute value when the policy lookup throws, rather than trust an unknown policy', () => {
    const redactor = createRedactor({
      policyFor: () => {
        throw new Error('registry unavailable');
      },
    });
    expect(redactor.redactAttributes({ 'user.email': 'x', ok: true, n: 1 }, 'acme')).toEqual({
      'user.email': '[redacted]',
      ok: true,
      n: '[redacted]',
    });
  });
});

describe('createRedactor options', () => {
  it('refuses limits that are not positive integers, naming the option', () => {
    expect(() => createRedactor({ maxDepth: 0 })).toThrow(/maxDepth must be a positive integer/);
    expect(() => createRedactor({ maxStringLength: 1.5 })).toThrow(/maxStringLength/);
    expect(() => createRedactor({ maxValues: -1 })).toThrow(/maxValues/);
    expect(() => createRedactor({ denyAttributes: [''] })).toThrow(
      /denyAttributes entries must be non-empty/,
    );
    expect(() => createRedactor({ policyFor: 'x' as never })).toThrow(/policyFor must be a function/);
  });

  it('cuts strings over maxStringLength where no secret straddles the cut, and says so', () => {
    const redactor = createRedactor({ maxStringLength: 40 });
    // The limit falls inside the spaced card number: the cut moves before it, not between its groups.
    expect(redactor.redactString('first words here then 4111 1111 1111 1111 and more words after')).toBe(
      'first words here then…[truncated]',
    );
    expect(redactor.redactString('card 4111 1111 1111 1111 then lots of other words follow here')).toBe(
      'card [card] then lots of…[truncated]',
    );
    expect(redactor.stats().truncated).toBe(2);
  });

  it('replaces values nested deeper than maxDepth', () => {
    const redactor = createRedactor({ maxDepth: 2 });
    expect(redactor.redactAttributes({ a: { b: { c: 'x' } } })).toEqual({ a: { b: '[too deep]' } });
  });

  it('stops after maxValues values in one map', () => {
    const redactor = createRedactor({ maxValues: 3 });
    expect(redactor.redactAttributes({ list: [1, 2, 3, 4, 5] })).toEqual({
      list: [1, 2, '[too many values]'],
    });
    expect(redactor.stats().limit).toBe(1);
  });
});

describe('hostile input', () => {
  const VICTIM = 'victim@example.com';
  const CARD = '4111 1111 1111 1111';
  const SECRETS = [VICTIM, CARD, JWT, 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'];
  const JUNK_CHARS = ['a', 'Z', '9', '@', '.', '-', ':', '=', '"', '\u0000', '\ud800', 'é', '😀', '\n'];

  function hostileValue(rand: () => number, depth: number): unknown {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
    const junk = (n: number) => {
      let out = '';
      for (let k = 0; k < n; k++) out += JUNK_CHARS[Math.floor(rand() * JUNK_CHARS.length)];
      return out;
    };
    const secret = () => ` ${pick(SECRETS)} `;
    const leaf = (): unknown =>
      pick<() => unknown>([
        () => junk(Math.floor(rand() * 40)) + secret() + junk(Math.floor(rand() * 40)),
        () => 'x '.repeat(40_000) + secret() + 'y'.repeat(100),
        () => junk(2000),
        () => Math.floor(rand() * 1e16),
        () => 4111111111111111,
        () => NaN,
        () => -0,
        () => 5555555555554444n,
        () => 2n ** 70n,
        () => Symbol(VICTIM),
        () => () => VICTIM,
        () => undefined,
        () => null,
        () => rand() < 0.5,
        () => new Date(rand() < 0.5 ? NaN : 0),
        () => Buffer.from(VICTIM),
        () => new Uint16Array(3),
        () => new ArrayBuffer(8),
        () => new DataView(new ArrayBuffer(4)),
        () => new Map([[VICTIM, VICTIM]]),
        () => new Set([VICTIM]),
        () => /victim@example\.com/,
        () => Object.assign(new Error(`failed for ${VICTIM}`), { user: VICTIM }),
        () => ({
          get boom(): never {
            throw new Error('getter');
          },
          ok: 1,
        }),
        () => ({
          get sneaky() {
            return `mail ${VICTIM}`;
          },
        }),
        () => ({
          toJSON() {
            throw new Error('toJSON');
          },
        }),
        () => ({ toJSON: () => ({ leaked: VICTIM }) }),
        () =>
          new Proxy(
            {},
            {
              ownKeys() {
                throw new Error('ownKeys');
              },
              getPrototypeOf() {
                throw new Error('getPrototypeOf');
              },
            },
          ),
        () => new Proxy({ a: VICTIM }, { get: () => VICTIM }),
        () => {
          const { proxy, revoke } = Proxy.revocable({}, {});
          revoke();
          return proxy;
        },
        () => Object.freeze({ [VICTIM]: CARD }),
        () => Object.assign(Object.create(null) as object, { email: VICTIM }),
        () => JSON.parse(`{"__proto__": {"polluted": "${VICTIM}"}}`) as unknown,
        () =>
          new (class Account {
            constructor(readonly owner = VICTIM) {}
          })(),
        () => Promise.resolve(VICTIM),
        () => {
          let deep: unknown = { email: VICTIM };
          for (let i = 0; i < 50; i++) deep = { deep };
          return deep;
        },
        () => {
          const sparse: unknown[] = [];
          sparse[1_000_000] = VICTIM;
          return sparse;
        },
      ])();
    if (depth > 5 || rand() < 0.45) return leaf();
    const shape = rand();
    if (shape < 0.3)
      return Array.from({ length: Math.floor(rand() * 6) }, () => hostileValue(rand, depth + 1));
    const obj: Record<string, unknown> = {};
    for (let i = Math.floor(rand() * 6); i > 0; i--) {
      const key = pick(['a', 'password', VICTIM, 'X-Api-Key', 'user.email', '__proto__', 'nested', junk(6)]);
      Object.defineProperty(obj, key, {
        value: hostileValue(rand, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    if (rand() < 0.3) obj.self = obj;
    if (rand() < 0.2) obj.pair = { back: obj };
    return obj;
  }

  const serialise = (value: unknown) =>
    JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? '';

  it('never throws, and never lets a planted secret through, for 400 random hostile values', () => {
    const keys: Record<string, TenantKeySet> = { acme: { current: 'k1', keys: { k1: generateTenantKey() } } };
    const redactor = createRedactor({
      policyFor: () => ({ maskIps: true, sensitiveAttributes: ['user.email'] }),
      cipher: createTenantCipher({ keysFor: (t) => keys[t] }),
    });
    for (let seed = 1; seed <= 400; seed++) {
      const value = hostileValue(seededRandom(seed), 0);
      const outputs: unknown[] = [];
      expect(() => {
        outputs.push(redactor.redactValue(value, 'acme'));
        const map =
          typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : { value };
        outputs.push(redactor.redactAttributes(map, 'acme'));
        outputs.push(redactor.logHook({ level: 'info', message: value, tenant_id: 'acme', meta: value }));
        outputs.push(redactor.redactString(typeof value === 'string' ? value : String(typeof value), 'acme'));
      }).not.toThrow();
      for (const output of outputs) {
        const text = serialise(output);
        for (const secret of SECRETS) {
          if (text.includes(secret)) throw new Error(`seed ${seed} leaked ${secret}: ${text.slice(0, 300)}`);
        }
      }
    }
    expect(redactor.stats()).toMatchObject({
      circular: expect.any(Number),
      unreadable: expect.any(Number),
      binary: expect.any(Number),
    });
    const stats = redactor.stats();
    expect(stats.circular).toBeGreaterThan(0);
    expect(stats.unreadable).toBeGreaterThan(0);
    expect(stats.binary).toBeGreaterThan(0);
    expect(stats.encrypted).toBeGreaterThan(0);
    expect(stats.depth).toBeGreaterThan(0);
  });

  it('handles each hostile shape on its own: cycles, throwing getters and proxies, binary, symbols, bigints', () => {
    const redactor = createRedactor();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const out = redactor.redactAttributes({
      cyclic,
      getter: {
        get boom(): never {
          throw new Error('nope');
        },
        ok: 1,
      },
      proxy: new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('ownKeys');
          },
        },
      ),
      revoked: revocable.proxy,
      buffer: Buffer.from(VICTIM),
      symbol: Symbol('s'),
      big: 12n,
      fn: () => 1,
      date: new Date(0),
      list: [1, [2, [3]]],
    });
    expect(out).toMatchObject({
      cyclic: { name: 'loop', self: '[circular]' },
      getter: { boom: '[unreadable]', ok: 1 },
      proxy: '[unreadable]',
      revoked: '[unreadable]',
      buffer: '[binary 18 bytes]',
      big: 12n,
      date: new Date(0),
      list: [1, [2, [3]]],
    });
    // JSON would drop them (or, for a function named toJSON, call it).
    expect(out.symbol).toBeUndefined();
    expect(out.fn).toBeUndefined();
    expect(redactor.redactAttributes({ toJSON: () => ({ leaked: VICTIM }) })).toEqual({});
  });

  it('keeps an own __proto__ key as data instead of setting the prototype', () => {
    const redactor = createRedactor();
    const out = redactor.redactAttributes(
      JSON.parse('{"__proto__": {"email": "a@example.com"}}') as Record<string, unknown>,
    );
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ email: '[email]' });
  });

  it('finishes strings built to make regular expressions backtrack, with output bounded by the limits', () => {
    const limit = 65_536;
    const redactor = createRedactor({ policyFor: () => ({ maskIps: true }) });
    const hostile = [
      'eyJ'.repeat(limit),
      'eyJa.'.repeat(limit / 4),
      'a@'.repeat(limit),
      'a@b.co'.repeat(limit / 4),
      'x'.repeat(limit) + '@example.com',
      '4111 '.repeat(limit / 4),
      '1-'.repeat(limit),
      '1'.repeat(limit * 2),
      '::'.repeat(limit),
      '1.1.1.1.'.repeat(limit / 4),
      'ffff:'.repeat(limit / 4),
      'Bearer '.repeat(limit / 4),
      'password='.repeat(limit / 4),
      'password: "'.repeat(limit / 4),
      'https://'.repeat(limit / 4),
      'ghp_'.repeat(limit / 2),
      'sk_live_'.repeat(limit / 4),
    ];
    for (const s of hostile) {
      const out = redactor.redactString(s, 'acme');
      expect(typeof out).toBe('string');
      expect(out.length).toBeLessThanOrEqual(3 * limit);
    }
  });

  it('bounds the strings it writes per record, however many there are', () => {
    const redactor = createRedactor({ maxStringLength: 1000 });
    const many = Array.from({ length: 100 }, (_, i) => `${i} ${'x '.repeat(400)} mail a${i}@example.com`);
    const out = redactor.redactValue(many) as string[];
    expect(out.filter((s) => s === '[too many values]').length).toBeGreaterThan(0);
    expect(serialise(out).length).toBeLessThan(10 * 1000);
  });
});

import type { RedactionPolicy } from './policy-types';
import { createRedactor } from './redact';
import { JWT } from './test-fixtures/redact';

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

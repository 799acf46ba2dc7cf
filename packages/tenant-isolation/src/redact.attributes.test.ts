import type { RedactionPolicy, TenantKeySet } from './policy-types';
import { DEFAULT_DENY_ATTRIBUTES, createRedactor } from './redact';
import { createTenantCipher, generateTenantKey } from './tenant-cipher';

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

import type { RedactionPolicy, TenantKeySet } from './policy-types';
import { createRedactor, type RedactableLogRecord } from './redact';
import { createTenantCipher, generateTenantKey } from './tenant-cipher';

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

import { SpanStatusCode } from '@opentelemetry/api';
import {
  DecryptError,
  createRedactor,
  createTenantCipher,
  generateTenantKey,
  runWithTenant,
  type TenantKeySet,
} from '@autoweave/tenant-isolation';
import { startTracing, type TracingHandle, type TracingOptions } from './index';

describe('span redaction', () => {
  const keys: Record<string, TenantKeySet> = {
    acme: { current: 'k1', keys: { k1: generateTenantKey() } },
    globex: { current: 'k1', keys: { k1: generateTenantKey() } },
  };
  const cipher = createTenantCipher({ keysFor: (id) => keys[id] });
  let tracing: TracingHandle;

  const start = (redact: NonNullable<TracingOptions['redact']>) => {
    tracing = startTracing({ serviceName: 'redaction', registerGlobal: false, recentTraces: true, redact });
    return tracing;
  };
  afterEach(async () => {
    await tracing.shutdown();
  });

  const onlyRoot = () => tracing.recentTraces?.traces()[0]?.roots[0];

  it('masks PII in span and event attributes before export and encrypts what the tenant marks sensitive', () => {
    start(
      createRedactor({
        cipher,
        policyFor: (id) =>
          id === 'acme' ? { sensitiveAttributes: ['customer.email'], maskIps: true } : undefined,
      }),
    );
    runWithTenant('acme', () => {
      const span = tracing.tracer().startSpan('checkout');
      span.setAttributes({
        'customer.email': 'jane@example.com',
        'http.request.header.authorization': 'Bearer abc.def.ghi',
        'payment.note': 'card 4111 1111 1111 1111 from 203.0.113.9',
        'order.items': 3,
        'order.id': 'ord-20261122-0042',
      });
      span.addEvent('retry', { reason: 'mail to ops@example.com bounced' });
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
    });

    const root = onlyRoot();
    expect(root?.attributes).toMatchObject({
      'tenant.id': 'acme',
      'http.request.header.authorization': '[redacted]',
      'payment.note': 'card [card] from [ip]',
      'order.items': 3,
      'order.id': 'ord-20261122-0042',
    });
    const sealed = root?.attributes['customer.email'];
    expect(sealed).toMatch(/^awenc:v1:k1:/);
    expect(cipher.decrypt('acme', sealed as string)).toBe('jane@example.com');
    expect(() => cipher.decrypt('globex', sealed as string)).toThrow(DecryptError);
    expect(root?.events[0]?.attributes).toEqual({ reason: 'mail to [email] bounced' });
    expect(JSON.stringify(root)).not.toMatch(/jane@|4111 1111|203\.0\.113\.9|abc\.def\.ghi/);
  });

  it('masks PII in the span name and in an error message withSpan put in the status', () => {
    start(createRedactor({}));
    expect(() =>
      runWithTenant('acme', () =>
        tracing.withSpan('GET /users/jane@example.com', () => {
          throw new Error('no mailbox for jane@example.com');
        }),
      ),
    ).toThrow('no mailbox for jane@example.com'); // the caller still gets its own error
    const root = onlyRoot();
    expect(root?.name).toBe('GET /users/[email]');
    expect(root?.status).toEqual({ code: 'ERROR', message: 'no mailbox for [email]' });
    expect(JSON.stringify(root)).not.toContain('jane@example.com');
  });

  it("applies each tenant's own policy: IPs stay for a tenant that does not mask them", () => {
    start(createRedactor({ policyFor: (id) => (id === 'acme' ? { maskIps: true } : {}) }));
    runWithTenant('globex', () =>
      tracing
        .tracer()
        .startSpan('connect', { attributes: { 'net.peer': 'from 203.0.113.9' } })
        .end(),
    );
    expect(onlyRoot()?.attributes['net.peer']).toBe('from 203.0.113.9');
  });

  it('keeps only the tenant and a failure flag when the redactor throws, instead of leaking', () => {
    start({
      redactAttributes: () => {
        throw new Error('policy store down');
      },
    });
    runWithTenant('acme', () =>
      tracing
        .tracer()
        .startSpan('op', { attributes: { 'user.email': 'jane@example.com' } })
        .end(),
    );
    expect(onlyRoot()?.attributes).toEqual({ 'tenant.id': 'acme', 'autoweave.redaction.failed': true });
  });
});

import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator, W3CTraceContextPropagator, CompositePropagator } from '@opentelemetry/core';
import {
  InvalidTenantIdError,
  bindToTenant,
  currentTenant,
  currentTenantInfo,
  runWithTenant,
  tenantFromContext,
  validateTenantId,
} from './index';

const manager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(manager.enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
});
afterAll(() => {
  context.disable();
  propagation.disable();
});

describe('tenant ids', () => {
  it.each(['a', 'tenant-1', '0abc', 'x'.repeat(63)])('accepts %s', (id) => {
    expect(validateTenantId(id)).toBe(id);
  });

  it.each([
    ['', /empty/],
    ['Tenant', /uppercase/],
    ['-abc', /must start/],
    ['a_b', /"_"/],
    ['a b', /" "/],
    ['x'.repeat(64), /64 characters/],
    ['tenant\n', /"\\n"/],
  ])('rejects %j and says why', (id, why) => {
    expect(() => validateTenantId(id)).toThrow(InvalidTenantIdError);
    expect(() => validateTenantId(id)).toThrow(why);
  });

  it('rejects non-strings', () => {
    expect(() => validateTenantId(42)).toThrow(/expected a string, got number/);
    expect(() => validateTenantId(null)).toThrow(/got null/);
  });

  it('does not run the function for an invalid tenant', () => {
    const fn = jest.fn(() => 'ran');
    expect(() => runWithTenant('BAD', fn)).toThrow(InvalidTenantIdError);
    expect(fn).not.toHaveBeenCalled();
  });
});

describe('current tenant', () => {
  it('is undefined outside any tenant', () => {
    expect(currentTenant()).toBeUndefined();
  });

  it('survives awaits and timers', async () => {
    const seen = await runWithTenant('acme', async () => {
      await sleep(5);
      const afterAwait = currentTenant();
      const inTimer = await new Promise<string | undefined>((resolve) =>
        setTimeout(() => resolve(currentTenant()), 5),
      );
      const inImmediate = await new Promise<string | undefined>((resolve) =>
        setImmediate(() => resolve(currentTenant())),
      );
      return [afterAwait, inTimer, inImmediate];
    });
    expect(seen).toEqual(['acme', 'acme', 'acme']);
    expect(currentTenant()).toBeUndefined();
  });

  it('keeps concurrent tenants apart', async () => {
    const run = (id: string, delay: number) =>
      runWithTenant(id, async () => {
        await sleep(delay);
        return currentTenant();
      });
    await expect(Promise.all([run('t-a', 20), run('t-b', 1), run('t-c', 10)])).resolves.toEqual([
      't-a',
      't-b',
      't-c',
    ]);
  });

  it('reaches listeners of an event emitted inside the tenant, and bound listeners anywhere', async () => {
    const emitter = new EventEmitter();
    const seen: Array<string | undefined> = [];
    emitter.on('sync', () => seen.push(currentTenant()));
    const bound = runWithTenant('binder', () => bindToTenant(() => currentTenant()));
    emitter.on('bound', () => seen.push(bound()));
    runWithTenant('emitter', () => emitter.emit('sync'));
    emitter.emit('bound');
    // an async listener registered outside still sees the emitting tenant after an await
    const asyncSeen = once(emitter, 'async-done');
    emitter.on('async', () => {
      void sleep(1).then(() => emitter.emit('async-done', currentTenant()));
    });
    runWithTenant('later', () => emitter.emit('async'));
    expect(seen).toEqual(['emitter', 'binder']);
    await expect(asyncSeen).resolves.toEqual(['later']);
  });

  it('crosses a process boundary through W3C baggage (inject, then extract)', () => {
    const headers: Record<string, string> = {};
    runWithTenant('remote-tenant', () => propagation.inject(context.active(), headers));
    expect(headers.baggage).toContain('tenant.id=remote-tenant');

    const extracted = propagation.extract(ROOT_CONTEXT, headers);
    expect(tenantFromContext(extracted)).toBe('remote-tenant');
    const info = context.with(extracted, () => currentTenantInfo());
    expect(info).toEqual({ id: 'remote-tenant', source: 'baggage' });
  });

  it('ignores a hostile tenant in incoming baggage instead of throwing', () => {
    const extracted = propagation.extract(ROOT_CONTEXT, { baggage: 'tenant.id=DROP%20TABLE' });
    expect(context.with(extracted, () => currentTenant())).toBeUndefined();
  });

  it('prefers the in-process tenant over propagated baggage', () => {
    const extracted = propagation.extract(ROOT_CONTEXT, { baggage: 'tenant.id=from-wire' });
    const id = runWithTenant('local', () => context.with(extracted, () => currentTenant()));
    expect(id).toBe('local');
  });

  it('keeps other baggage entries', () => {
    const headers: Record<string, string> = {};
    const withUser = propagation.setBaggage(
      ROOT_CONTEXT,
      propagation.createBaggage({ 'user.plan': { value: 'pro' } }),
    );
    context.with(withUser, () => runWithTenant('t1', () => propagation.inject(context.active(), headers)));
    expect(headers.baggage).toContain('user.plan=pro');
    expect(headers.baggage).toContain('tenant.id=t1');
  });
});

import winston from 'winston';
import TransportStream from 'winston-transport';
import { captureJsonLines, type CapturedLines } from '@autoweave/test-utils';
import { createLogger, type LoggerHandle } from './index';

class Collect extends TransportStream {
  readonly seen: Record<string | symbol, unknown>[] = [];
  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    this.seen.push(info);
    next();
  }
}

describe('log levels and dispatch', () => {
  let handle: LoggerHandle;
  let out: CapturedLines;
  beforeEach(() => {
    out = captureJsonLines();
    handle = createLogger({ service: 'api', environment: 'test', level: 'info', stream: out.stream });
  });
  afterEach(() => handle.shutdown());

  it('writes nothing below the level, through level methods, log() and child loggers', () => {
    const { logger } = handle;
    logger.debug('hidden', { items: 3 });
    logger.log('debug', 'hidden too');
    logger.log({ level: 'silly', message: 'hidden as well' });
    handle.child({ component: 'usb' }).debug('hidden child');
    logger.info('shown');
    expect(out.records().map((r) => r.message)).toEqual(['shown']);
    expect(logger.isDebugEnabled()).toBe(false);
    expect(logger.isLevelEnabled('info')).toBe(true);
  });

  it('follows changes to logger.level, also for child loggers created before the change', () => {
    const child = handle.child({ component: 'usb' });
    handle.logger.level = 'debug';
    handle.logger.debug('root debug');
    child.debug('child debug');
    expect(handle.logger.isDebugEnabled()).toBe(true);
    handle.logger.level = 'warn';
    handle.logger.info('hidden');
    child.info('hidden');
    child.warn('child warn');
    expect(out.records().map((r) => [r.message, r.component, r.level])).toEqual([
      ['root debug', undefined, 'debug'],
      ['child debug', 'usb', 'debug'],
      ['child warn', 'usb', 'warn'],
    ]);
  });

  it("lets a transport with its own lower level receive records below the logger's level", () => {
    const debugOnly = new Collect({ level: 'debug' });
    handle.logger.add(debugOnly);
    handle.logger.debug('to the debug transport only', { items: 3 });
    handle.logger.info('to both');
    expect(handle.logger.isDebugEnabled()).toBe(true);
    expect(debugOnly.seen.map((i) => i.message)).toEqual(['to the debug transport only', 'to both']);
    expect(out.records().map((r) => r.message)).toEqual(['to both']);
    handle.logger.remove(debugOnly);
    handle.logger.debug('nobody');
    expect(debugOnly.seen).toHaveLength(2);
    expect(handle.logger.isDebugEnabled()).toBe(false);
  });

  it('works when level methods are called detached from the logger', () => {
    const { info, debug } = handle.logger;
    info('detached');
    debug('detached debug');
    expect(out.records().map((r) => r.message)).toEqual(['detached']);
  });

  it('honours silent and writes nothing after close()', async () => {
    handle.logger.silent = true;
    handle.logger.info('silenced');
    handle.logger.silent = false;
    handle.logger.info('heard');
    handle.logger.close();
    await new Promise((resolve) => setImmediate(resolve));
    handle.logger.info('after close');
    expect(out.records().map((r) => r.message)).toEqual(['heard']);
  });

  it('applies a transport-specific format to that transport only', () => {
    const upper = new Collect({
      format: winston.format((info) => ({ ...info, message: String(info.message).toUpperCase() }))(),
    });
    handle.logger.add(upper);
    handle.logger.info('order processed');
    expect(upper.seen[0]?.message).toBe('ORDER PROCESSED');
    expect(out.records()[0]?.message).toBe('order processed');
  });

  it('writes one JSON line per record with every field, including circular and bigint values', () => {
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    handle.logger.info('order processed', { items: 3, nested: { ok: true } });
    handle.logger.info('odd values', { circular, big: 10n });
    const [first, second] = out.records();
    expect(first).toMatchObject({
      level: 'info',
      message: 'order processed',
      service: 'api',
      environment: 'test',
      items: 3,
      nested: { ok: true },
    });
    expect(typeof first?.timestamp).toBe('string');
    expect(new Date(first?.timestamp as string).toISOString()).toBe(first?.timestamp);
    expect(second).toMatchObject({
      message: 'odd values',
      big: '10',
      circular: { name: 'loop', self: '[Circular]' },
    });
  });

  it('does not throw into the caller when a transport throws', () => {
    const broken = new Collect();
    broken.log = () => {
      throw new Error('transport broke');
    };
    handle.logger.add(broken);
    expect(() => handle.logger.info('still fine')).not.toThrow();
    expect(out.records().map((r) => r.message)).toEqual(['still fine']);
  });
});

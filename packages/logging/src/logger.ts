// createLogger: a winston logger writing JSON lines correlated by trace and tenant to stdout
// and, optionally, to Loki, with an explicit flush/shutdown lifecycle and counted drops.
import { metrics, type BatchObservableCallback, type Observable } from '@opentelemetry/api';
import winston from 'winston';
import TransportStream from 'winston-transport';
import { installFastPath } from './fast-path';
import { JsonLinesTransport } from './json-lines-transport';
import { LokiTransport } from './loki-transport';
import { recordFormat } from './record-format';
import { Counters, DROP_REASONS } from './stats';
import type { LoggerHandle, LoggerOptions, LoggingStats } from './types';

const SCOPE_NAME = '@autoweave/logging';
const SCOPE_VERSION = '0.1.0';
export const DROPPED_METRIC = 'autoweave.logging.records.dropped';
export const SENT_METRIC = 'autoweave.logging.records.sent';

/** Swallows records when no output is configured (winston complains on stderr without a transport). */
class NullTransport extends TransportStream {
  override log(_info: unknown, next: () => void): void {
    next();
  }
}

export function createLogger(options: LoggerOptions): LoggerHandle {
  const counters = new Counters();
  const environment = options.environment ?? process.env.NODE_ENV ?? 'development';
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 5000;

  const transports: TransportStream[] = [];
  const stream = options.stream ?? process.stdout;
  if (stream !== false) transports.push(new JsonLinesTransport(stream));
  const loki =
    options.loki === undefined
      ? undefined
      : new LokiTransport({ ...options.loki, service: options.service, environment, counters });
  if (loki !== undefined) transports.push(loki);
  if (transports.length === 0) transports.push(new NullTransport());

  const logger = winston.createLogger({
    level: options.level ?? 'info',
    format: recordFormat({
      service: options.service,
      environment,
      redact: options.redact,
      tenantBudget: options.tenantBudget,
      maxRecordBytes: options.maxRecordBytes ?? 64 * 1024,
      counters,
      stampNs: loki !== undefined,
    }),
    transports,
    exitOnError: false,
  });
  // A failing output (EPIPE on stdout, a closed stream) must not become an uncaught 'error' event.
  logger.on('error', () => undefined);
  installFastPath(logger);

  const stats = (): LoggingStats => ({
    sent: counters.sent,
    dropped: { ...counters.dropped },
    truncated: counters.truncated,
    buffered: loki?.buffered ?? 0,
    bufferedBytes: loki?.bufferedBytes ?? 0,
    retries: counters.retries,
    tenantLabelOverflows: loki?.tenantLabelOverflows ?? 0,
  });

  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE_NAME, SCOPE_VERSION);
  const dropped = meter.createObservableCounter(DROPPED_METRIC, {
    description:
      'Log records not delivered (redacted, redaction error, tenant budget, Loki buffer full, rejected by Loki, shutdown)',
    unit: '{record}',
  });
  const sent = meter.createObservableCounter(SENT_METRIC, {
    description: 'Log records accepted by Loki',
    unit: '{record}',
  });
  const observe: BatchObservableCallback = (result) => {
    for (const reason of DROP_REASONS) result.observe(dropped, counters.dropped[reason], { reason });
    result.observe(sent, counters.sent);
  };
  const observables: Observable[] = [dropped, sent];
  meter.addBatchObservableCallback(observe, observables);

  let shutdownPromise: Promise<void> | undefined;
  const flush = async (timeoutMs = shutdownTimeoutMs): Promise<void> => {
    await loki?.flush(timeoutMs);
  };

  return {
    logger,
    child: (meta) => logger.child(meta),
    flush,
    shutdown: () => {
      shutdownPromise ??= (async () => {
        const deadline = Date.now() + shutdownTimeoutMs;
        await flush(shutdownTimeoutMs);
        // Whatever is still buffered now is counted as dropped ('shutdown'); an in-flight push is
        // aborted and given what is left of the timeout to unwind.
        await loki?.stop(Math.max(0, deadline - Date.now()));
        meter.removeBatchObservableCallback(observe, observables);
      })();
      return shutdownPromise;
    },
    stats,
  };
}

// The demo's settings from its environment, checked all at once so a bad value is reported with
// every other one, each naming the variable and what it accepts.
import { resolve } from 'node:path';

export type UsbMode = 'auto' | 'off' | 'simulate';

export interface DemoConfig {
  readonly port: number;
  readonly host: string;
  /** REDIS_URL when set; otherwise the demo looks for 127.0.0.1:6379 and then a private server. */
  readonly redisUrl: string | undefined;
  readonly usb: UsbMode;
  /** Simulated attach/detach every this many ms (simulate mode); 0 = only through the mutation. */
  readonly usbSimulateIntervalMs: number;
  /** false with AUTOWEAVE_OBSERVABILITY=off: the same platform with every facade flag off. */
  readonly observability: boolean;
  readonly samplingRate: number;
  readonly tenantsFile: string;
  readonly otlpEndpoint: string | undefined;
  readonly lokiUrl: string | undefined;
  /** BullMQ key prefix, so demos (and tests) sharing one Redis do not see each other's jobs. */
  readonly queuePrefix: string;
  readonly auditFile: string | undefined;
  readonly environment: string;
}

/** Thrown for unusable settings; `problems` lists each as `VARIABLE: what to change`. */
export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid demo settings:\n  ${problems.join('\n  ')}`);
  }
}

/** Where the repo's files are, from dist/ or src/ alike. */
export const APP_DIR = resolve(__dirname, '..');

export function readConfig(env: Readonly<Record<string, string | undefined>> = process.env): DemoConfig {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = value(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name}: must be one of ${allowed.join(', ')}, got "${value(name)}"`);
      return fallback;
    }
    return raw as T;
  };
  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(
          `${name}: must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got "${raw}"`,
        );
      }
    } catch {
      problems.push(`${name}: not a URL: "${raw}"`);
    }
    return raw;
  };

  const port = integer('PORT', 4000, 0, 65535);
  const host = value('HOST') ?? '127.0.0.1';
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const usb = oneOf<UsbMode>('AUTOWEAVE_USB', ['auto', 'off', 'simulate'], 'auto');
  const usbSimulateIntervalMs = integer('AUTOWEAVE_USB_SIMULATE_INTERVAL_MS', 15_000, 0, 3_600_000);
  const observability = oneOf('AUTOWEAVE_OBSERVABILITY', ['on', 'off'], 'on') === 'on';

  let samplingRate = 1;
  const rawRate = value('OTEL_TRACES_SAMPLER_ARG');
  if (rawRate !== undefined) {
    const n = Number(rawRate);
    if (!Number.isFinite(n) || n < 0 || n > 1) {
      problems.push(
        `OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1 (the share of traces kept), got "${rawRate}"`,
      );
    } else samplingRate = n;
  }

  const queuePrefix = value('AUTOWEAVE_QUEUE_PREFIX') ?? 'autoweave-demo';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(queuePrefix)) {
    problems.push(`AUTOWEAVE_QUEUE_PREFIX: 1-64 letters, digits, "_", "." or "-", got "${queuePrefix}"`);
  }

  const config: DemoConfig = {
    port,
    host,
    redisUrl,
    usb,
    usbSimulateIntervalMs,
    observability,
    samplingRate,
    tenantsFile: resolve(value('AUTOWEAVE_TENANTS_FILE') ?? resolve(APP_DIR, 'tenants.yaml')),
    otlpEndpoint: url('OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']),
    lokiUrl: url('LOKI_URL', ['http:', 'https:']),
    queuePrefix,
    auditFile: value('AUTOWEAVE_AUDIT_FILE'),
    environment: value('NODE_ENV') ?? 'development',
  };
  if (problems.length > 0) throw new DemoConfigError(problems);
  return config;
}

// Command-line options of the load generator, checked with an error that names the flag and the
// expected format.
import { parseArgs } from 'node:util';

export interface TenantKey {
  tenant: string;
  key: string;
}

export interface LoadOptions {
  /** Base URL of the demo, e.g. `http://127.0.0.1:4000`. */
  url: string;
  durationMs: number;
  /** Requests started per second, whatever the responses do (open loop). */
  rps: number;
  /** The tenants the load runs as, round-robin. */
  tenants: TenantKey[];
  /** After the run, how long to keep polling the jobs it started until they finish. */
  jobWaitMs: number;
  /** Per-request deadline. */
  timeoutMs: number;
  /** Print the report as JSON on stdout instead of tables. */
  json: boolean;
  /** Seed of the operation mix, so two runs send the same sequence. */
  seed: number;
}

export class LoadArgsError extends Error {
  override name = 'LoadArgsError';
}

export const USAGE = `Usage: node apps/demo-platform/dist/load/cli.js [options]   (pnpm demo:load [options])

Drives a running demo with GraphQL queries, plugin runs and simulated USB events at a fixed rate.

Options:
  --url <url>            the demo's base URL (default http://127.0.0.1:$PORT, PORT default 4000)
  --duration <time>      how long to send, e.g. 30s, 2m, 1m30s, 500ms (default 30s)
  --rps <n>              requests started per second, open loop (default 20)
  --tenants <n>          how many tenants to spread the load over (default 2)
  --key <tenant>=<key>   an API key to use; repeat for several tenants (default: the demo keys)
  --job-wait <time>      after sending, how long to wait for started jobs to finish (default 15s)
  --timeout <time>       per-request timeout (default 10s)
  --seed <n>             seed of the operation mix (default 1)
  --json                 print the report as JSON instead of tables
  -h, --help             this text
`;

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `30s`, `2m`, `1m30s`, `500ms`, `1.5s`, `1h`; a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  const bad = (): LoadArgsError =>
    new LoadArgsError(
      `${flag}: "${text}" is not a duration; use a number with a unit, e.g. 30s, 2m, 1m30s, 500ms (a bare number is seconds)`,
    );
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = trimmed.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g);
  if (parts === null || parts.join('') !== trimmed) throw bad();
  let ms = 0;
  for (const part of parts) {
    const [, value, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(part) ?? [];
    ms += Number(value) * (UNITS_MS[unit ?? ''] ?? Number.NaN);
  }
  if (!Number.isFinite(ms)) throw bad();
  return ms;
}

function parseNumber(text: string, flag: string, what: string, check: (n: number) => boolean): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new LoadArgsError(`${flag}: "${text}" is not ${what}`);
  }
  return n;
}

function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LoadArgsError(`--url: "${text}" is not a URL; use e.g. http://127.0.0.1:4000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new LoadArgsError(`--url: "${text}" must be http:// or https://`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/**
 * Parses `argv` (without node and the script). `defaultKeys` are the demo's own keys, used when no
 * `--key` is given. Returns undefined for `--help`.
 */
export function parseLoadArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  defaultKeys: Readonly<Record<string, string>>,
): LoadOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      // `pnpm demo:load -- --rps 5` hands the script a leading `--`: it separates nothing here
      args: argv[0] === '--' ? argv.slice(1) : [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        duration: { type: 'string' },
        rps: { type: 'string' },
        tenants: { type: 'string' },
        key: { type: 'string', multiple: true },
        'job-wait': { type: 'string' },
        timeout: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new LoadArgsError(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
  if (values.help === true) return undefined;

  const port = env.PORT ?? '4000';
  const url = parseUrl(values.url ?? `http://127.0.0.1:${port}`);
  const durationMs = parseDuration(values.duration ?? '30s', '--duration');
  if (durationMs <= 0) throw new LoadArgsError(`--duration: must be more than 0 (got "${values.duration}")`);
  const rps = parseNumber(
    values.rps ?? '20',
    '--rps',
    'a rate above 0 (requests per second, e.g. 20 or 0.5)',
    (n) => n > 0,
  );
  const jobWaitMs = parseDuration(values['job-wait'] ?? '15s', '--job-wait');
  const timeoutMs = parseDuration(values.timeout ?? '10s', '--timeout');
  if (timeoutMs <= 0) throw new LoadArgsError(`--timeout: must be more than 0 (got "${values.timeout}")`);
  const seed = parseNumber(values.seed ?? '1', '--seed', 'an integer', Number.isSafeInteger);

  let keys: TenantKey[];
  if (values.key !== undefined && values.key.length > 0) {
    keys = values.key.map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0 || at === pair.length - 1) {
        throw new LoadArgsError(`--key: "${pair}" is not <tenant>=<key>, e.g. --key acme=awk_...`);
      }
      return { tenant: pair.slice(0, at), key: pair.slice(at + 1) };
    });
    const seen = new Set<string>();
    for (const { tenant } of keys) {
      if (seen.has(tenant)) throw new LoadArgsError(`--key: tenant "${tenant}" is given twice`);
      seen.add(tenant);
    }
  } else {
    keys = Object.entries(defaultKeys).map(([tenant, key]) => ({ tenant, key }));
  }
  const tenantCount = parseNumber(
    values.tenants ?? String(Math.min(2, keys.length)),
    '--tenants',
    'a whole number of tenants, 1 or more',
    (n) => Number.isInteger(n) && n >= 1,
  );
  if (tenantCount > keys.length) {
    throw new LoadArgsError(
      `--tenants: ${tenantCount} tenants asked for but only ${keys.length} key(s) known (${keys
        .map((k) => k.tenant)
        .join(', ')}); add more with --key <tenant>=<key>`,
    );
  }
  return {
    url,
    durationMs,
    rps,
    tenants: keys.slice(0, tenantCount),
    jobWaitMs,
    timeoutMs,
    json: values.json === true,
    seed,
  };
}

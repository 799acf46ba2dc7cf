// The operations the load generator sends, their weights, and the jobs it started (so it can look
// them up, try another tenant's, and wait for them at the end).
import type { CallResult } from './client';
import { errorCode } from './client';
import type { TenantKey } from './args';

export const QUERIES = {
  devices: 'query Devices { devices { id vendorId productId attachedAt } }',
  plugins: 'query Plugins { plugins { name version loaded } }',
  job: 'query Job($id: ID!) { job(id: $id) { id plugin state attempts error finishedAt } }',
  runPlugin:
    'mutation RunPlugin($name: String!, $input: JSON) { runPlugin(name: $name, input: $input) { id plugin state } }',
  simulateUsbEvent:
    'mutation SimulateUsbEvent($action: UsbAction!, $vendorId: Int, $productId: Int) { simulateUsbEvent(action: $action, vendorId: $vendorId, productId: $productId) }',
  sloStatus: 'query SloStatus { sloStatus { id description objective sli errorBudgetRemaining status } }',
} as const;

/** Job states after which polling stops; `not_found` is this generator's own: the demo no longer knows the id. */
export const JOB_NOT_FOUND = 'not_found';
const TERMINAL = new Set(['completed', 'failed', JOB_NOT_FOUND]);

export interface JobRecord {
  id: string;
  tenant: string;
  plugin: string;
  state: string;
}

/** Jobs started by this run, by id and by tenant. */
export class JobBook {
  readonly jobs = new Map<string, JobRecord>();
  private readonly byTenant = new Map<string, string[]>();

  add(job: JobRecord): void {
    this.jobs.set(job.id, job);
    const ids = this.byTenant.get(job.tenant) ?? [];
    ids.push(job.id);
    this.byTenant.set(job.tenant, ids);
  }

  update(id: string, state: string): void {
    const job = this.jobs.get(id);
    if (job !== undefined) job.state = state;
  }

  /** A job id of `tenant`, picked with `r` in [0, 1); undefined when it has none yet. */
  pick(tenant: string, r: number): string | undefined {
    const ids = this.byTenant.get(tenant);
    if (ids === undefined || ids.length === 0) return undefined;
    return ids[Math.floor(r * ids.length)];
  }

  unfinished(): JobRecord[] {
    return [...this.jobs.values()].filter((j) => !TERMINAL.has(j.state));
  }

  static isTerminal(state: string): boolean {
    return TERMINAL.has(state);
  }
}

/** mulberry32: a small seeded generator, so a seed gives the same operation sequence every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MixContext {
  tenant: TenantKey;
  /** Another tenant of the run, for the cross-tenant lookup; undefined with one tenant. */
  other: TenantKey | undefined;
  plugins: readonly string[];
  simulate: boolean;
  jobs: JobBook;
  random: () => number;
  /** Request number, for inputs that vary. */
  index: number;
  /** Simulated USB events sent so far (shared across the run): each device alternates attach/detach. */
  usbEvents: { count: number };
}

/** One request to send, and how to judge its result (undefined = success, else the error reason). */
export interface PlannedCall {
  operation: string;
  query: string;
  variables: Record<string, unknown>;
  judge(result: CallResult): string | undefined;
}

export const CROSS_TENANT = 'job (other tenant)';
/** The reason a cross-tenant lookup is counted as when it returned the other tenant's job. */
export const ISOLATION_BREACH = 'ISOLATION_BREACH: another tenant job was visible';

interface OperationKind {
  weight: (ctx: MixContext) => number;
  plan: (ctx: MixContext) => PlannedCall;
}

const plain = (result: CallResult): string | undefined => result.failure;

const USB_IDS: readonly [number, number][] = [
  [0x1209, 0x0001],
  [0x1209, 0x0002],
  [0x16c0, 0x05dc],
];

function pluginInput(plugin: string, index: number): Record<string, unknown> {
  if (plugin === 'slow-report') return { title: `load report ${index}`, rows: 200 };
  return { from: 'demo-load', seq: index };
}

const KINDS: readonly OperationKind[] = [
  {
    weight: () => 15,
    plan: () => ({ operation: 'devices', query: QUERIES.devices, variables: {}, judge: plain }),
  },
  {
    weight: () => 10,
    plan: () => ({ operation: 'plugins', query: QUERIES.plugins, variables: {}, judge: plain }),
  },
  {
    weight: (ctx) => (ctx.jobs.pick(ctx.tenant.tenant, 0) === undefined ? 0 : 20),
    plan: (ctx) => {
      const id = ctx.jobs.pick(ctx.tenant.tenant, ctx.random()) as string;
      return {
        operation: 'job',
        query: QUERIES.job,
        variables: { id },
        judge: (result) => {
          const job = (result.data as { job?: { state?: unknown } } | null)?.job;
          if (result.failure === undefined && typeof job?.state === 'string') ctx.jobs.update(id, job.state);
          return result.failure;
        },
      };
    },
  },
  {
    weight: (ctx) => (ctx.other === undefined || ctx.jobs.pick(ctx.other.tenant, 0) === undefined ? 0 : 5),
    plan: (ctx) => {
      const id = ctx.jobs.pick((ctx.other as TenantKey).tenant, ctx.random()) as string;
      return {
        operation: CROSS_TENANT,
        query: QUERIES.job,
        variables: { id },
        // The expected answer is the error: another tenant's job must look like it does not exist.
        judge: (result) => {
          if (result.networkCode !== undefined) return result.failure;
          const code = errorCode(result.errors);
          if (code === 'NOT_FOUND' && (result.data as { job?: unknown } | null)?.job == null)
            return undefined;
          if (code === undefined) return ISOLATION_BREACH;
          return code;
        },
      };
    },
  },
  ...['echo', 'slow-report', 'flaky-fetch'].map((plugin): OperationKind => ({
    weight: (ctx) => (ctx.plugins.includes(plugin) ? 10 : 0),
    plan: (ctx) => runPlugin(ctx, plugin),
  })),
  {
    // Plugins the demo has beyond the three known ones get a share too.
    weight: (ctx) => (ctx.plugins.some((p) => !['echo', 'slow-report', 'flaky-fetch'].includes(p)) ? 5 : 0),
    plan: (ctx) => {
      const extra = ctx.plugins.filter((p) => !['echo', 'slow-report', 'flaky-fetch'].includes(p));
      return runPlugin(ctx, extra[Math.floor(ctx.random() * extra.length)] as string);
    },
  },
  {
    weight: (ctx) => (ctx.simulate ? 10 : 0),
    plan: (ctx) => {
      const n = ctx.usbEvents.count++;
      const [vendorId, productId] = USB_IDS[n % USB_IDS.length] as [number, number];
      // Each device in turn: attached on one round, detached on the next.
      const action = Math.floor(n / USB_IDS.length) % 2 === 0 ? 'ATTACH' : 'DETACH';
      return {
        operation: 'simulateUsbEvent',
        query: QUERIES.simulateUsbEvent,
        variables: { action, vendorId, productId },
        judge: plain,
      };
    },
  },
];

function runPlugin(ctx: MixContext, plugin: string): PlannedCall {
  return {
    operation: `runPlugin ${plugin}`,
    query: QUERIES.runPlugin,
    variables: { name: plugin, input: pluginInput(plugin, ctx.index) },
    judge: (result) => {
      const job = (result.data as { runPlugin?: { id?: unknown; state?: unknown } } | null)?.runPlugin;
      if (result.failure === undefined && typeof job?.id === 'string') {
        ctx.jobs.add({
          id: job.id,
          tenant: ctx.tenant.tenant,
          plugin,
          state: typeof job.state === 'string' ? job.state : 'unknown',
        });
      }
      return result.failure;
    },
  };
}

/** Picks the next call by weight among the operations that apply now (e.g. a lookup needs a job). */
export function planCall(ctx: MixContext): PlannedCall {
  const weights = KINDS.map((k) => k.weight(ctx));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = ctx.random() * total;
  for (let i = 0; i < KINDS.length; i++) {
    r -= weights[i] as number;
    if (r < 0) return (KINDS[i] as OperationKind).plan(ctx);
  }
  return (KINDS[0] as OperationKind).plan(ctx);
}

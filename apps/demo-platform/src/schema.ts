// The demo's GraphQL API (schema in contract.md): devices, plugins, tenant-scoped jobs and SLO
// status; every resolver runs for the tenant the HTTP layer authenticated.
import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';
import { createSchema } from 'graphql-yoga';
import type { SloSnapshot } from '@autoweave/sli-slo';
import { summarizeSlos } from './debug';
import type { Jobs } from './jobs';
import type { UsbSide } from './usb';

export const TYPE_DEFS = /* GraphQL */ `
  scalar JSON
  enum UsbAction {
    ATTACH
    DETACH
  }
  type Device {
    id: ID!
    vendorId: Int!
    productId: Int!
    serial: String
    deviceClass: Int
    busPath: String
    attachedAt: String!
  }
  type Plugin {
    name: String!
    version: String!
    permissions: [String!]!
    timeoutMs: Int!
    loaded: Boolean!
  }
  type Job {
    id: ID!
    plugin: String!
    state: String!
    input: JSON
    result: JSON
    error: String
    attempts: Int!
    createdAt: String!
    finishedAt: String
    traceId: String
  }
  "status: OK | WARNING | CRITICAL | NO_DATA"
  type SloStatus {
    id: ID!
    description: String!
    objective: Float!
    sli: Float
    errorBudgetRemaining: Float
    status: String!
  }
  type Query {
    devices: [Device!]!
    plugins: [Plugin!]!
    job(id: ID!): Job!
    sloStatus: [SloStatus!]!
  }
  type Mutation {
    runPlugin(name: String!, input: JSON): Job!
    "Only with AUTOWEAVE_USB=simulate."
    simulateUsbEvent(action: UsbAction!, vendorId: Int, productId: Int): Boolean!
  }
`;

/** What resolvers get from the HTTP layer: the authenticated tenant (never a client claim). */
export interface DemoContext {
  readonly tenant: string;
}

export interface PluginInfo {
  readonly name: string;
  readonly version: string;
  readonly permissions: readonly string[];
  readonly timeoutMs: number;
  readonly loaded: boolean;
}

export interface SchemaDeps {
  readonly jobs: Pick<Jobs, 'enqueue' | 'find'>;
  readonly usb: Pick<UsbSide, 'mode' | 'devices' | 'simulate'>;
  readonly plugins: () => readonly PluginInfo[];
  readonly slo: () => SloSnapshot | undefined;
  /** Called for each job a tenant enqueues (per-tenant activity). */
  readonly onEnqueued?: (tenant: string) => void;
  /** Told about queue calls that failed (Redis down); the client gets SERVICE_UNAVAILABLE. */
  readonly onQueueError?: (error: unknown) => void;
}

/** Largest plugin input accepted, serialized; the job lives in Redis. */
export const MAX_INPUT_BYTES = 64 * 1024;

/**
 * Redis trouble becomes an error the client can act on instead of an opaque internal one; the cause
 * goes to the log (as originalError, yoga would mask the whole error).
 */
async function queueCall<T>(
  call: () => Promise<T>,
  onError: ((error: unknown) => void) | undefined,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    onError?.(error);
    throw new GraphQLError('the job queue is unavailable (Redis does not answer); try again shortly', {
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
  }
}

const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast, variables) => (ast.kind === Kind.NULL ? null : valueFromASTUntyped(ast, variables)),
});

export function createDemoSchema(deps: SchemaDeps) {
  return createSchema<DemoContext>({
    typeDefs: TYPE_DEFS,
    resolvers: {
      JSON: JSONScalar,
      UsbAction: { ATTACH: 'attach', DETACH: 'detach' },
      Query: {
        devices: () => deps.usb.devices(),
        plugins: () => deps.plugins(),
        job: async (_root: unknown, args: { id: string }, ctx: DemoContext) => {
          const job = await queueCall(() => deps.jobs.find(ctx.tenant, args.id), deps.onQueueError);
          // The same answer for another tenant's job and for no job: ids reveal nothing.
          if (job === undefined) {
            throw new GraphQLError(`job ${args.id} not found`, { extensions: { code: 'NOT_FOUND' } });
          }
          return job;
        },
        sloStatus: () => sloStatus(deps.slo()),
      },
      Mutation: {
        runPlugin: async (_root: unknown, args: { name: string; input?: unknown }, ctx: DemoContext) => {
          const plugin = deps.plugins().find((p) => p.name === args.name);
          if (plugin === undefined || !plugin.loaded) {
            const available = deps
              .plugins()
              .filter((p) => p.loaded)
              .map((p) => p.name)
              .join(', ');
            throw new GraphQLError(
              `name: no loaded plugin "${args.name}"; available: ${available || 'none'}`,
              {
                extensions: { code: 'BAD_USER_INPUT' },
              },
            );
          }
          const size = Buffer.byteLength(JSON.stringify(args.input ?? null));
          if (size > MAX_INPUT_BYTES) {
            throw new GraphQLError(`input: ${size} bytes of JSON; at most ${MAX_INPUT_BYTES} are accepted`, {
              extensions: { code: 'BAD_USER_INPUT' },
            });
          }
          const job = await queueCall(
            () => deps.jobs.enqueue(ctx.tenant, args.name, args.input ?? null),
            deps.onQueueError,
          );
          deps.onEnqueued?.(ctx.tenant);
          return job;
        },
        simulateUsbEvent: (
          _root: unknown,
          args: { action: 'attach' | 'detach'; vendorId?: number | null; productId?: number | null },
        ) => {
          if (deps.usb.mode !== 'simulate') {
            throw new GraphQLError(
              `simulateUsbEvent only works with AUTOWEAVE_USB=simulate; this demo runs with AUTOWEAVE_USB=${deps.usb.mode}`,
              { extensions: { code: 'USB_SIMULATION_DISABLED' } },
            );
          }
          for (const field of ['vendorId', 'productId'] as const) {
            const v = args[field];
            if (v !== undefined && v !== null && (v < 0 || v > 0xffff)) {
              throw new GraphQLError(`${field}: must be 0-65535 (a 16-bit USB id), got ${v}`, {
                extensions: { code: 'BAD_USER_INPUT' },
              });
            }
          }
          return deps.usb.simulate(args.action, args.vendorId ?? undefined, args.productId ?? undefined);
        },
      },
    },
  });
}

/** One row per SLO (the /debug page's summary), in the schema's shape. */
export function sloStatus(snapshot: SloSnapshot | undefined) {
  return summarizeSlos(snapshot).map(({ id, description, objective, sli, errorBudgetRemaining, status }) => ({
    id,
    description,
    objective,
    sli,
    errorBudgetRemaining,
    status,
  }));
}

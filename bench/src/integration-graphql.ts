// The GraphQL integration's throughput benchmark: the same graphql-yoga server with and without
// useAutoweaveGraphQL (10% sampling on a real tracer provider exporting OTLP/gRPC, metrics on), loaded
// by autocannon over loopback with a realistic query (a page of 10 posts, each with its author and 3
// comments with their authors: 52 resolver calls per request).
//
// Five servers, each in a child process of its own (this file with `--serve`), so the server under
// load has one core and autocannon the other, and nothing else runs in a measured process. Spans go
// to a collector stand-in (`--sink`) that answers OTLP/gRPC without decoding, so it takes little CPU:
//   bare          no OpenTelemetry SDK, no metrics: the reference
//   baseline      startTracing (10%, OTLP, AsyncLocalStorage context manager) + createMetrics, no plugin
//   control       the same as baseline, a second process: the A/A check
//   instrumented  the same plus useAutoweaveGraphQL
//   envelop-otel  baseline plus @envelop/opentelemetry instead (spans only, set up safely): the reference
// `ratio` is instrumented / baseline: the plugin's own cost. `ratioToBare` adds the SDK's share. All
// run each request inside runWithTenant, as the platform's tenant middleware does. The servers run
// with NODE_ENV=production (graphql-js skips its development checks; errors are masked).
//
// Each process runs at a speed of its own: two identical baseline servers came out 0.945 to 1.053 of
// each other over 8 rounds, in seven pairs of processes (2026-11-23), more than the plugin costs. So
// the servers are started afresh in each of several generations; in a generation each is warmed up
// for 10 s (V8 was still speeding them up after 2), then they are measured in rotation (reversed every
// other round, a round's measurements seconds apart, as this machine's speed drifts by ±10% within a
// minute). A generation's ratio is the median of its rounds' ratios; the result is the median of the
// generations'. The control's ratio to baseline, computed the same way, shows what that resolves.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Plugin } from '@envelop/core';
import { createSchema, createYoga } from 'graphql-yoga';
import { useOpenTelemetry } from '@envelop/opentelemetry';
import { useAutoweaveGraphQL } from '@autoweave/integration-graphql';
import { createMetrics } from '@autoweave/metrics';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { startTracing } from '@autoweave/tracing';
import { median } from './harness.js';

/** The query every request sends: nested resolvers over a list, as a feed page would. */
export const FEED_QUERY = /* GraphQL */ `
  query Feed($first: Int!) {
    viewer {
      id
      name
    }
    feed(first: $first) {
      id
      title
      createdAt
      tags
      author {
        id
        name
        avatarUrl
      }
      comments(first: 3) {
        id
        body
        author {
          id
          name
        }
      }
    }
  }
`;

const TYPE_DEFS = /* GraphQL */ `
  type Query {
    viewer: User!
    feed(first: Int!): [Post!]!
  }
  type User {
    id: ID!
    name: String!
    avatarUrl: String!
  }
  type Post {
    id: ID!
    title: String!
    createdAt: String!
    tags: [String!]!
    author: User!
    comments(first: Int!): [Comment!]!
  }
  type Comment {
    id: ID!
    body: String!
    author: User!
  }
`;

interface UserRow {
  id: string;
  name: string;
  avatarUrl: string;
}
interface PostRow {
  id: string;
  title: string;
  createdAt: string;
  tags: string[];
  authorId: string;
}
interface CommentRow {
  id: string;
  body: string;
  postId: string;
  authorId: string;
}

const USERS = new Map<string, UserRow>(
  Array.from({ length: 20 }, (_, i) => [
    `u${i}`,
    { id: `u${i}`, name: `User ${i}`, avatarUrl: `https://cdn.example.com/a/${i}.png` },
  ]),
);
const POSTS: PostRow[] = Array.from({ length: 50 }, (_, i) => ({
  id: `p${i}`,
  title: `Post number ${i}`,
  createdAt: new Date(Date.UTC(2026, 0, 1 + i)).toISOString(),
  tags: ['graphql', i % 2 === 0 ? 'even' : 'odd'],
  authorId: `u${i % 20}`,
}));
const COMMENTS: CommentRow[] = POSTS.flatMap((p, i) =>
  Array.from({ length: 5 }, (_, j) => ({
    id: `c${i}-${j}`,
    body: `Comment ${j} on ${p.title}`,
    postId: p.id,
    authorId: `u${(i + j) % 20}`,
  })),
);
const COMMENTS_BY_POST = new Map<string, CommentRow[]>();
for (const c of COMMENTS) COMMENTS_BY_POST.set(c.postId, [...(COMMENTS_BY_POST.get(c.postId) ?? []), c]);

const user = (id: string): UserRow => USERS.get(id) as UserRow;

/** A fresh schema per server: the plugin wraps resolvers in place. */
function feedSchema() {
  return createSchema({
    typeDefs: TYPE_DEFS,
    resolvers: {
      Query: {
        viewer: () => user('u0'),
        // A data source answers asynchronously, as a database would.
        feed: async (_: unknown, { first }: { first: number }) => {
          await Promise.resolve();
          return POSTS.slice(0, first);
        },
      },
      Post: {
        author: (post: PostRow) => Promise.resolve(user(post.authorId)),
        comments: (post: PostRow, { first }: { first: number }) =>
          (COMMENTS_BY_POST.get(post.id) ?? []).slice(0, first),
      },
      Comment: {
        author: (comment: CommentRow) => user(comment.authorId),
      },
    },
  });
}

export type ServerKind = 'bare' | 'baseline' | 'control' | 'instrumented' | 'envelop-otel';
const MODES: readonly ServerKind[] = ['bare', 'baseline', 'control', 'instrumented', 'envelop-otel'];

/** Child-process side: serves one yoga server on loopback until stdin closes. */
async function serve(mode: ServerKind, otlpUrl: string, sampleRate: number): Promise<void> {
  let stop = (): Promise<number> => Promise.resolve(0);
  let plugins: Plugin[] = [];
  if (mode !== 'bare') {
    const tracing = startTracing({ serviceName: 'bench-graphql', sampleRate, endpoint: otlpUrl });
    const metrics = createMetrics();
    const plugin =
      mode === 'instrumented'
        ? useAutoweaveGraphQL({ tracerProvider: tracing.provider, metrics })
        : undefined;
    if (plugin !== undefined) plugins = [plugin];
    // The reference plugin, set up as its README's pitfalls require: our provider (no global one of
    // its own), no arguments, variables, result or document on spans; spans only, no metrics or guards.
    if (mode === 'envelop-otel') {
      plugins = [
        useOpenTelemetry(
          { resolvers: true, defaultResolvers: false, variables: false, result: false, document: false },
          tracing.provider,
        ) as unknown as Plugin,
      ];
    }
    stop = async () => {
      await tracing.forceFlush();
      const exported = tracing.stats().exported;
      await Promise.all([plugin?.shutdown(), tracing.shutdown(), metrics.shutdown()]);
      return exported;
    };
  }
  const yoga = createYoga({ schema: feedSchema(), plugins, logging: false, graphiql: false });
  // Every request runs as its tenant, as the platform's HTTP middleware sets it (runWithTenant), so
  // AsyncLocalStorage is active in all three servers, as it is in any server that propagates context.
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    runWithTenant('acme', () => void yoga(req, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  console.log(`http://127.0.0.1:${port}/graphql`);
  // Each "mark" line answers with the CPU time this process used, and the requests it served, since
  // the previous one: CPU per request does not depend on how the machine's cores were shared.
  let since = process.cpuUsage();
  let servedBefore = 0;
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line !== 'mark') continue;
    const used = process.cpuUsage(since);
    since = process.cpuUsage();
    console.log(JSON.stringify({ cpuUs: used.user + used.system, requests: requests - servedBefore }));
    servedBefore = requests;
  }
  server.closeAllConnections();
  server.close();
  console.log(JSON.stringify({ spansExported: await stop() }));
  process.exit(0);
}

/**
 * Child-process side of the collector stand-in: accepts OTLP/gRPC exports on loopback and answers OK
 * without decoding them. On this 2-core machine a decoding peer would take CPU from the server under
 * test only while the instrumented server runs; a real collector runs elsewhere.
 */
async function sink(): Promise<void> {
  let exports = 0;
  let bytes = 0;
  const server = createHttp2Server((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/grpc' });
      res.addTrailers({ 'grpc-status': '0' });
      res.end(Buffer.alloc(5)); // one empty, uncompressed ExportTraceServiceResponse
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  console.log(`http://127.0.0.1:${port}`);
  process.stdin.resume();
  await once(process.stdin, 'end');
  console.log(JSON.stringify({ exports, bytes }));
  process.exit(0);
}

interface ChildProcessHandle {
  /** The first line the child printed: its URL. */
  readonly url: string;
  /** Asks a server child for the CPU time and requests since the previous mark. */
  mark(): Promise<{ cpuUs: number; requests: number }>;
  /** Closes stdin (the child's signal to finish) and returns the last line it printed, parsed. */
  stop(): Promise<Record<string, number>>;
}

/** Runs this file with `args` in a child process and waits for the URL it prints. */
async function startChild(args: readonly string[]): Promise<ChildProcessHandle> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const { stdin, stdout } = child;
  if (stdout === null || stdin === null) throw new Error(`${args.join(' ')}: no stdio`);
  const iterator = createInterface({ input: stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string | undefined> => {
    const line = await iterator.next();
    return line.done === true ? undefined : line.value;
  };
  const url = await next();
  if (url === undefined) throw new Error(`${args.join(' ')}: exited before listening`);
  let stopped: Promise<Record<string, number>> | undefined;
  return {
    url,
    mark: async () => {
      stdin.write('mark\n');
      return JSON.parse((await next()) ?? '{}') as { cpuUs: number; requests: number };
    },
    stop: () =>
      (stopped ??= (async () => {
        stdin.end();
        const last = await next();
        if (child.exitCode === null) await once(child, 'exit');
        return last === undefined ? {} : (JSON.parse(last) as Record<string, number>);
      })()),
  };
}

interface CannonResult {
  requests: { total: number };
  latency: { p50: number; p99: number };
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

interface Load {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function load(url: string, seconds: number, connections: number): Promise<Load> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query: FEED_QUERY, variables: { first: 10 }, operationName: 'Feed' }),
    connections,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `load on ${url} failed: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
    );
  }
  return {
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

/** Sends the query once and checks the answer, so a broken server cannot pass as a fast one. */
async function check(url: string): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: FEED_QUERY, variables: { first: 10 } }),
  });
  const body = (await res.json()) as { data?: { feed?: { comments?: unknown[] }[] }; errors?: unknown };
  if (res.status !== 200 || body.errors !== undefined || body.data?.feed?.length !== 10) {
    throw new Error(`${url} answered ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
}

export interface GraphqlThroughputOptions {
  /** Seconds per measurement. Default 2: short rounds pair better on a machine whose speed drifts. */
  readonly seconds?: number;
  /** Concurrent autocannon connections. Default 10. */
  readonly connections?: number;
  /**
   * Fresh sets of server processes, one after the other. Default 10: each process gets a speed of its
   * own (two identical servers differed by up to 5% over 8 rounds), which only more processes average out.
   */
  readonly generations?: number;
  /** Measurements per server per generation (rotation reversed every other round). Default 4. */
  readonly rounds?: number;
  /** Unmeasured load on each server before its generation's rounds. Default 10 s. */
  readonly warmupSeconds?: number;
  /** Trace sampling of the instrumented server. Default 0.1. */
  readonly sampleRate?: number;
}

export interface Measurement {
  readonly generation: number;
  readonly mode: ServerKind;
  readonly rps: number;
  readonly p99Ms: number;
  readonly cpuUsPerRequest: number;
}

/** A server measured against baseline like the instrumented one. */
export interface AgainstBaseline {
  /** Median over generations of its requests per second ÷ baseline's. */
  readonly ratio: number;
  /** Each generation's ratio, in order. */
  readonly byGeneration: readonly number[];
  /** Median requests per second. */
  readonly rps: number;
}

export interface GraphqlThroughputResult {
  /** Median requests per second of the server with the SDK and metrics but without the plugin. */
  readonly baselineRps: number;
  /** The same server with useAutoweaveGraphQL. */
  readonly instrumentedRps: number;
  /**
   * Median over generations of the generation's instrumented / baseline requests per second (itself
   * the median of its rounds' ratios): the plugin's own cost; the target is >= 0.95.
   */
  readonly ratio: number;
  /** Each generation's instrumented / baseline ratio, in order. */
  readonly generationRatios: readonly number[];
  /**
   * A second baseline server ('control', identical to 'baseline'): how far two servers running the
   * same code land apart here, the resolution of `ratio`.
   */
  readonly control: AgainstBaseline;
  /** @envelop/opentelemetry (spans only) in place of our plugin. */
  readonly envelopOtel: AgainstBaseline;
  /** The same server with no OpenTelemetry SDK and no metrics at all. */
  readonly bareRps: number;
  /** The same, instrumented / bare: the plugin plus the SDK's context manager. */
  readonly ratioToBare: number;
  readonly p99Ms: Readonly<Record<ServerKind, number>>;
  /** Median CPU time (user + system) the server process spent per request. */
  readonly cpuUsPerRequest: Readonly<Record<ServerKind, number>>;
  /**
   * Median over generations of baseline / instrumented CPU per request: the throughput ratio the plugin
   * allows when the server has its core to itself.
   */
  readonly cpuRatio: number;
  /** Median over generations of instrumented - baseline CPU per request, µs. */
  readonly addedCpuUs: number;
  /** Every measurement, in the order taken. */
  readonly measurements: readonly Measurement[];
  /** Spans the instrumented servers exported over OTLP/gRPC to the collector stand-in. */
  readonly spansExported: number;
  /** Spans the @envelop/opentelemetry servers exported. */
  readonly envelopOtelSpans: number;
  /** OTLP Export calls the collector stand-in answered (from both). */
  readonly exportRequests: number;
  readonly generations: number;
  readonly rounds: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  readonly connections: number;
  readonly sampleRate: number;
}

/** The median over generations of the median over each generation's rounds of f(a's, b's measurement). */
function pairedMedian(
  taken: readonly Measurement[],
  a: ServerKind,
  b: ServerKind,
  f: (x: Measurement, y: Measurement) => number,
): { median: number; byGeneration: number[] } {
  const byGeneration: number[] = [];
  for (const generation of new Set(taken.map((t) => t.generation))) {
    const of = (mode: ServerKind) => taken.filter((t) => t.generation === generation && t.mode === mode);
    const xs = of(a);
    const ys = of(b);
    byGeneration.push(median(xs.map((x, round) => f(x, ys[round] as Measurement))));
  }
  return { median: median(byGeneration), byGeneration };
}

/** pairedMedian of `mode`'s requests per second ÷ baseline's. */
const rpsRatio = (taken: readonly Measurement[], mode: ServerKind) =>
  pairedMedian(taken, mode, 'baseline', (x, b) => x.rps / b.rps);

/** One generation: fresh servers, warmed up, then measured in rotation. */
async function measureGeneration(
  generation: number,
  collectorUrl: string,
  options: Required<Omit<GraphqlThroughputOptions, 'generations'>>,
): Promise<{ taken: Measurement[]; spansExported: number; referenceSpans: number }> {
  const { seconds, connections, rounds, warmupSeconds, sampleRate } = options;
  // which server starts (and warms up) first rotates too
  const modes = MODES.map((_, i) => MODES[(i + generation) % MODES.length] as ServerKind);
  const servers = new Map<ServerKind, ChildProcessHandle>();
  try {
    for (const mode of modes) {
      servers.set(mode, await startChild(['--serve', mode, collectorUrl, String(sampleRate)]));
    }
    const server = (mode: ServerKind) => servers.get(mode) as ChildProcessHandle;
    for (const mode of modes) {
      await check(server(mode).url);
      await load(server(mode).url, warmupSeconds, connections); // JIT warm-up, not counted
    }
    const taken: Measurement[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? modes : [...modes].reverse()) {
        await server(mode).mark();
        const { rps, p99Ms } = await load(server(mode).url, seconds, connections);
        const { cpuUs, requests } = await server(mode).mark();
        taken.push({ generation, mode, rps, p99Ms, cpuUsPerRequest: cpuUs / requests });
      }
    }
    const spansExported = (await server('instrumented').stop())['spansExported'] ?? 0;
    const referenceSpans = (await server('envelop-otel').stop())['spansExported'] ?? 0;
    return { taken, spansExported, referenceSpans };
  } finally {
    await Promise.all([...servers.values()].map((child) => child.stop()));
  }
}

/** GraphQL server throughput with and without the plugin; see the top of this file for the set-up. */
export async function graphqlThroughput(
  options: GraphqlThroughputOptions = {},
  progress: (line: string) => void = () => undefined,
): Promise<GraphqlThroughputResult> {
  const settings = {
    seconds: options.seconds ?? 2,
    connections: options.connections ?? 10,
    rounds: options.rounds ?? 4,
    warmupSeconds: options.warmupSeconds ?? 10,
    sampleRate: options.sampleRate ?? 0.1,
  };
  const generations = options.generations ?? 10;
  const collector = await startChild(['--sink']);
  try {
    const taken: Measurement[] = [];
    let spansExported = 0;
    let referenceSpans = 0;
    for (let generation = 0; generation < generations; generation++) {
      const result = await measureGeneration(generation, collector.url, settings);
      taken.push(...result.taken);
      spansExported += result.spansExported;
      referenceSpans += result.referenceSpans;
      const ratio = (mode: ServerKind) => rpsRatio(result.taken, mode).median.toFixed(3);
      progress(
        `generation ${generation + 1}/${generations}: ratio ${ratio('instrumented')}, control ${ratio('control')}, @envelop/opentelemetry ${ratio('envelop-otel')}`,
      );
    }
    const received = await collector.stop();
    const of = (mode: ServerKind, key: 'rps' | 'p99Ms' | 'cpuUsPerRequest') =>
      median(taken.filter((t) => t.mode === mode).map((t) => t[key]));
    const ratio = rpsRatio(taken, 'instrumented');
    const againstBaseline = (mode: ServerKind): AgainstBaseline => {
      const { median: ratio, byGeneration } = rpsRatio(taken, mode);
      return { ratio, byGeneration, rps: of(mode, 'rps') };
    };
    const perMode = <T>(f: (mode: ServerKind) => T) =>
      Object.fromEntries(MODES.map((mode) => [mode, f(mode)])) as Record<ServerKind, T>;
    return {
      baselineRps: of('baseline', 'rps'),
      instrumentedRps: of('instrumented', 'rps'),
      ratio: ratio.median,
      generationRatios: ratio.byGeneration,
      control: againstBaseline('control'),
      envelopOtel: againstBaseline('envelop-otel'),
      bareRps: of('bare', 'rps'),
      ratioToBare: pairedMedian(taken, 'instrumented', 'bare', (i, b) => i.rps / b.rps).median,
      cpuUsPerRequest: perMode((mode) => of(mode, 'cpuUsPerRequest')),
      cpuRatio: pairedMedian(
        taken,
        'instrumented',
        'baseline',
        (i, b) => b.cpuUsPerRequest / i.cpuUsPerRequest,
      ).median,
      addedCpuUs: pairedMedian(
        taken,
        'instrumented',
        'baseline',
        (i, b) => i.cpuUsPerRequest - b.cpuUsPerRequest,
      ).median,
      p99Ms: perMode((mode) => of(mode, 'p99Ms')),
      measurements: taken,
      spansExported,
      envelopOtelSpans: referenceSpans,
      exportRequests: received['exports'] ?? 0,
      generations,
      ...settings,
    };
  } finally {
    await collector.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [, , role, mode, otlpUrl = '', rate = '0.1'] = process.argv;
  if (role === '--sink') await sink();
  if (role === '--serve') await serve(MODES.find((m) => m === mode) ?? 'bare', otlpUrl, Number(rate));
}

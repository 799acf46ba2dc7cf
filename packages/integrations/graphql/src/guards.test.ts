// The public-API guards through graphql-yoga: each limit answers with one clear error naming the limit
// and its value, is counted by rule, and can be turned off; the guards also work without the telemetry.
import { createMetrics, type MetricsHandle } from '@autoweave/metrics';
import type { Plugin } from '@envelop/core';
import { getIntrospectionQuery } from 'graphql';
import {
  GraphQLOptionsError,
  METRICS,
  useAutoweaveGraphQL,
  useAutoweaveGraphQLGuards,
  type GraphQLGuardOptions,
} from './index';
import { sample, startServer, testTracing, type GraphQLResponse } from './test-fixtures/server';

interface Sent {
  readonly responses: GraphQLResponse[];
  readonly exposition: string;
}

/** Sends `queries` to a yoga server with `plugins(metrics)` and returns the answers and the exposition. */
async function send(plugins: (metrics: MetricsHandle) => Plugin[], queries: string[]): Promise<Sent> {
  const metrics = createMetrics({ defaultMetrics: false });
  const server = await startServer({ plugins: plugins(metrics) });
  try {
    const responses: GraphQLResponse[] = [];
    for (const q of queries) responses.push(await server.query(q));
    return { responses, exposition: (await metrics.collect()).body };
  } finally {
    await server.close();
    await metrics.shutdown();
  }
}

const withGuards = (guards: GraphQLGuardOptions | false) => (metrics: MetricsHandle) => [
  useAutoweaveGraphQL({ metrics, guards }),
];

const ALIASES = '{ a: version b: version c: version }';
const DIRECTIVES = '{ version @skip(if: false) v: version @include(if: true) }';
const COST = '{ users { name email posts { title author { name email } } } }';
const TOKENS = '{ users { id name email posts { id title author { id name email } } } }';

const messageOf = (r: GraphQLResponse | undefined): string | undefined => r?.body.errors?.[0]?.message;

describe('each limit', () => {
  it.each([
    [
      'aliases',
      { maxAliases: 2 },
      ALIASES,
      'Operation rejected: alias count 3 exceeds the limit of 2 (maxAliases).',
    ],
    [
      'directives',
      { maxDirectives: 1 },
      DIRECTIVES,
      'Operation rejected: directive count 2 exceeds the limit of 1 (maxDirectives).',
    ],
    [
      'cost',
      { maxCost: 10 },
      COST,
      /^Operation rejected: query cost [\d.]+ exceeds the limit of 10 \(maxCost\)\.$/,
    ],
    [
      'tokens',
      { maxTokens: 10 },
      TOKENS,
      'Operation rejected: token count exceeds the limit of 10 (maxTokens).',
    ],
  ] as const)('%s: rejects with a clear 400 error and counts it', async (rule, guards, query, message) => {
    const { responses, exposition } = await send(withGuards(guards), [query, query]);
    for (const res of responses) {
      expect(res.status).toBe(400);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors).toHaveLength(1);
      expect(messageOf(res)).toMatch(message);
      expect(res.body.errors?.[0]?.extensions).toMatchObject({
        code: 'OPERATION_LIMIT_EXCEEDED',
        limit: { rule },
      });
    }
    expect(sample(exposition, METRICS.rejected, { rule })).toBe(2);
    expect(sample(exposition, METRICS.errors, { code: 'OPERATION_LIMIT_EXCEEDED' })).toBe(2);
  });

  it('reports every limit a document breaks, each counted under its rule', async () => {
    const query = '{ a: user(id: "1") { friends { friends { name } } } b: version c: version }';
    const { responses, exposition } = await send(withGuards({ maxAliases: 2, maxDepth: 3 }), [query]);
    expect(responses[0]?.body.errors?.map((e) => e.message)).toEqual([
      'Operation rejected: alias count 3 exceeds the limit of 2 (maxAliases).',
      'Operation rejected: query depth 4 exceeds the limit of 3 (maxDepth).',
    ]);
    expect(sample(exposition, METRICS.rejected, { rule: 'aliases' })).toBe(1);
    expect(sample(exposition, METRICS.rejected, { rule: 'depth' })).toBe(1);
  });

  it('lets the same documents through when the limits are off', async () => {
    const queries = [ALIASES, DIRECTIVES, COST, TOKENS];
    const off: (GraphQLGuardOptions | false)[] = [
      false,
      { maxAliases: false, maxDirectives: false, maxCost: false, maxTokens: false },
    ];
    for (const guards of off) {
      const { responses, exposition } = await send(withGuards(guards), queries);
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(responses.every((r) => r.body.errors === undefined)).toBe(true);
      expect(sample(exposition, METRICS.rejected, { rule: 'aliases' })).toBeUndefined();
    }
  });

  it('accepts the introspection query and realistic nesting under the defaults', async () => {
    const { responses } = await send(withGuards({}), [getIntrospectionQuery(), TOKENS]);
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('field suggestions', () => {
  const typo = '{ user(id: "1") { nmae } }';

  it('are removed from validation errors by default', async () => {
    const { responses } = await send(withGuards({}), [typo]);
    expect(messageOf(responses[0])).toBe('Cannot query field "nmae" on type "User".');
  });

  it('stay with blockFieldSuggestions: false', async () => {
    const { responses } = await send(withGuards({ blockFieldSuggestions: false }), [typo]);
    expect(messageOf(responses[0])).toBe('Cannot query field "nmae" on type "User". Did you mean "name"?');
  });
});

describe('useAutoweaveGraphQLGuards on its own', () => {
  it('rejects and counts without the telemetry plugin', async () => {
    const deep = '{ user(id: "1") { friends { friends { name } } } }';
    const { responses, exposition } = await send(
      (metrics) => [useAutoweaveGraphQLGuards({ maxDepth: 2, metrics })],
      [deep, '{ user(id: "1") { name } }'],
    );
    expect(messageOf(responses[0])).toBe(
      'Operation rejected: query depth 4 exceeds the limit of 2 (maxDepth).',
    );
    expect(responses[1]?.body).toEqual({ data: { user: { name: 'Ada' } } });
    expect(sample(exposition, METRICS.rejected, { rule: 'depth' })).toBe(1);
    expect(exposition).not.toContain(`${METRICS.operationDuration}_count`);
  });

  it('names the option it cannot use', () => {
    expect(() => useAutoweaveGraphQLGuards({ maxDepth: 0 })).toThrow(
      new GraphQLOptionsError('options.maxDepth', 'must be an integer >= 1, got 0'),
    );
    expect(() => useAutoweaveGraphQL({ guards: { maxTokens: 1.5 } })).toThrow(
      /^guards\.maxTokens: must be an integer/,
    );
  });
});

describe('the operation span of a rejected document', () => {
  it('names the rule, also when the tokens limit stops parsing', async () => {
    const tracing = testTracing();
    try {
      await send(
        () => [useAutoweaveGraphQL({ tracerProvider: tracing.provider, guards: { maxTokens: 10 } })],
        [TOKENS],
      );
      const [op] = tracing.byName('GraphQL Operation');
      expect(op?.attributes).toMatchObject({
        'autoweave.graphql.outcome': 'rejected',
        'autoweave.graphql.rejected_rule': 'tokens',
        'error.type': 'OPERATION_LIMIT_EXCEEDED',
      });
    } finally {
      await tracing.shutdown();
    }
  });
});

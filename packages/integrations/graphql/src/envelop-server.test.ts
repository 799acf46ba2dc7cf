// The plugin on a plain envelop server (no graphql-yoga): what users of any envelop server get. jest.config.js
// also runs this suite on the lowest graphql and @envelop/core the peer ranges admit, the floor that
// matters for them (yoga brings its own, newer @envelop/core).
import { join } from 'node:path';
import { envelop, useEngine, useSchema } from '@envelop/core';
import {
  GraphQLError,
  GraphQLID,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  execute,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type ExecutionResult,
} from 'graphql';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createMetrics } from '@autoweave/metrics';
import { peersInForce } from '@autoweave/test-utils';
import { METRICS, useAutoweaveGraphQL } from './index';
import { operationCount, sample, testTracing } from './test-fixtures/telemetry';

interface Person {
  readonly id: string;
  readonly name: string;
  readonly friends: readonly string[];
}
const PEOPLE = new Map<string, Person>([
  ['1', { id: '1', name: 'Ada', friends: ['2'] }],
  ['2', { id: '2', name: 'Grace', friends: ['1'] }],
]);

/** Built with graphql-js alone (no graphql-tools), so only the graphql copy under test is involved. */
function peopleSchema(): GraphQLSchema {
  const person: GraphQLObjectType = new GraphQLObjectType({
    name: 'Person',
    fields: () => ({
      id: { type: new GraphQLNonNull(GraphQLID) },
      name: { type: new GraphQLNonNull(GraphQLString) },
      friends: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(person))),
        resolve: (p: Person) => Promise.resolve(p.friends.map((id) => PEOPLE.get(id))),
      },
    }),
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        person: {
          type: person,
          args: { id: { type: new GraphQLNonNull(GraphQLID) } },
          resolve: (_: unknown, { id }: { id: string }) => Promise.resolve(PEOPLE.get(id)),
        },
        broken: {
          type: GraphQLString,
          resolve: () => {
            throw new Error('database password is hunter2');
          },
        },
        refused: {
          type: GraphQLString,
          resolve: () => {
            throw new GraphQLError('Not allowed.', { extensions: { code: 'FORBIDDEN' } });
          },
        },
      },
    }),
  });
}

interface Outcome {
  readonly result: ExecutionResult;
  /** The spans the request left behind. */
  readonly spans: ReadableSpan[];
  /** The Prometheus exposition after it. */
  readonly text: string;
}

/** One request through envelop's phases, the way an envelop server runs them, with telemetry of its own. */
async function run(source: string): Promise<Outcome> {
  const tracing = testTracing();
  const metrics = createMetrics({ defaultMetrics: false });
  const plugin = useAutoweaveGraphQL({
    tracerProvider: tracing.provider,
    metrics,
    guards: { maxDepth: 4 },
    maskErrors: true,
  });
  const getEnveloped = envelop({
    plugins: [
      useEngine({ parse, validate, execute, subscribe, specifiedRules }),
      useSchema(peopleSchema()),
      plugin,
    ],
  });
  const { parse: p, validate: v, execute: e, contextFactory, schema } = getEnveloped({});
  const answer = async (): Promise<ExecutionResult> => {
    let document;
    try {
      document = p(source);
    } catch (error) {
      return { errors: [error as GraphQLError] };
    }
    const errors = v(schema, document);
    if (errors.length > 0) return { errors };
    return (await e({ schema, document, contextValue: await contextFactory() })) as ExecutionResult;
  };
  try {
    const result = await answer();
    return { result, spans: tracing.spans(), text: (await metrics.collect()).body };
  } finally {
    await plugin.shutdown();
    await metrics.shutdown();
    await tracing.shutdown();
  }
}

const named = (spans: readonly ReadableSpan[], name: string) => spans.filter((s) => s.name === name);

it('runs on the graphql and @envelop/core versions its jest project names, inside the peer ranges', () => {
  const peers = peersInForce(join(__dirname, '..'));
  expect(peers.map((p) => p.name)).toContain('graphql');
  for (const peer of peers) {
    expect(peer.inRange).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the copy jest maps the peer to
    expect((require(`${peer.name}/package.json`) as { version: string }).version).toBe(peer.version);
  }
});

it('traces and measures a query, its async resolvers included', async () => {
  const { result, spans, text } = await run('query Friends { person(id: "1") { name friends { name } } }');
  expect(result).toEqual({ data: { person: { name: 'Ada', friends: [{ name: 'Grace' }] } } });
  const [op] = named(spans, 'query Friends');
  expect(op?.attributes).toMatchObject({
    'graphql.operation.type': 'query',
    'graphql.operation.name': 'Friends',
    'autoweave.graphql.outcome': 'success',
  });
  expect(typeof op?.attributes['graphql.document.hash']).toBe('string');
  const [resolver] = named(spans, 'graphql.resolve Query.person');
  expect(resolver?.parentSpanContext?.spanId).toBe(op?.spanContext().spanId);
  expect(named(spans, 'graphql.resolve Person.friends')).toHaveLength(1);
  expect(operationCount(text, 'Friends', 'query', 'success')).toBe(1);
});

it('ends the operation of a document that does not parse, and of one that does not validate', async () => {
  const unparsed = await run('query Broken { person(id: "1") { name }');
  expect(unparsed.result.errors?.[0]?.message).toMatch(/^Syntax Error/);
  expect(operationCount(unparsed.text, '__unparsed__', 'unknown', 'invalid')).toBe(1);
  expect(unparsed.spans.map((s) => s.attributes['autoweave.graphql.outcome'])).toEqual(['invalid']);

  const invalid = await run('query Unknown { nobody { name } }');
  expect(invalid.result.errors?.[0]?.message).toMatch(/Cannot query field "nobody"/);
  expect(operationCount(invalid.text, 'Unknown', 'query', 'invalid')).toBe(1);
  expect(invalid.spans.map((s) => s.attributes['autoweave.graphql.outcome'])).toEqual(['invalid']);
});

it('rejects a too-deep query with a clear error and counts it', async () => {
  const { result, text } = await run(
    'query Deep { person(id: "1") { friends { friends { friends { friends { name } } } } } }',
  );
  expect(result.errors?.map((e) => e.message)).toEqual([
    'Operation rejected: query depth 6 exceeds the limit of 4 (maxDepth).',
  ]);
  expect(sample(text, METRICS.rejected, { rule: 'depth' })).toBe(1);
  expect(operationCount(text, 'Deep', 'query', 'rejected')).toBe(1);
});

it('masks an unexpected resolver error, passes a deliberate one, and records both', async () => {
  const { result, spans, text } = await run('query Risky { broken refused }');
  expect(result.data).toEqual({ broken: null, refused: null });
  expect(result.errors?.map((e) => e.message).sort()).toEqual(['Not allowed.', 'Unexpected error.']);
  expect(JSON.stringify(result)).not.toContain('hunter2');
  const [op] = named(spans, 'query Risky');
  expect(op?.attributes['autoweave.graphql.errors']).toBe(2);
  expect(op?.events.filter((e) => e.name === 'exception')).toHaveLength(2);
  expect(operationCount(text, 'Risky', 'query', 'error')).toBe(1);
  expect(sample(text, METRICS.errors, { code: 'FORBIDDEN' })).toBe(1);
});

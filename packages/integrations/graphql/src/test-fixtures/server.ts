// A real graphql-yoga server on a loopback port with a small blog schema, an in-memory span exporter on
// a tracer provider of our own, and a fetch client: what every test in this package talks to.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { freePort } from '@autoweave/test-utils';

export const typeDefs = /* GraphQL */ `
  type Query {
    user(id: ID!): User
    users: [User!]!
    returnsError: String
    forbidden: String
    secretEcho(ssn: String!): String
    version: String
  }
  type Mutation {
    createPost(title: String!, secret: String): Post!
    failingMutation(token: String!): Post
  }
  type User {
    id: ID!
    name: String!
    email: String!
    posts: [Post!]!
    friends: [User!]!
  }
  type Post {
    id: ID!
    title: String!
    author: User!
  }
`;

interface UserRow {
  id: string;
  name: string;
  email: string;
}
interface PostRow {
  id: string;
  title: string;
  authorId: string;
}

const users: UserRow[] = [
  { id: '1', name: 'Ada', email: 'ada@example.com' },
  { id: '2', name: 'Grace', email: 'grace@example.com' },
];
const posts: PostRow[] = [
  { id: 'p1', title: 'Engines', authorId: '1' },
  { id: 'p2', title: 'Compilers', authorId: '2' },
  { id: 'p3', title: 'Notes', authorId: '1' },
];

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fresh schema each time: the plugin wraps resolvers in place, so servers must not share one. */
export function blogSchema() {
  return createSchema({
    typeDefs,
    resolvers: {
      Query: {
        user: async (_: unknown, { id }: { id: string }) => {
          await tick();
          return users.find((u) => u.id === id) ?? null;
        },
        users: () => users,
        returnsError: () => new Error('returned, not thrown'),
        forbidden: () => {
          throw new GraphQLError('You may not read this.', { extensions: { code: 'FORBIDDEN' } });
        },
        secretEcho: (_: unknown, { ssn }: { ssn: string }) => `ok ${ssn.length}`,
        version: () => '1',
      },
      Mutation: {
        createPost: (_: unknown, { title }: { title: string }) => ({ id: 'p9', title, authorId: '1' }),
        failingMutation: async () => {
          await tick();
          throw new Error('database connection reset (password=hunter2)');
        },
      },
      User: {
        posts: async (user: UserRow) => {
          await tick();
          return posts.filter((p) => p.authorId === user.id);
        },
        friends: (user: UserRow) => users.filter((u) => u.id !== user.id),
      },
      Post: {
        author: (post: PostRow) => users.find((u) => u.id === post.authorId),
      },
    },
  });
}

export interface GraphQLResponse {
  readonly status: number;
  readonly body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  };
}

export interface TestServer {
  readonly url: string;
  /** POSTs a GraphQL request and parses the JSON answer. */
  readonly query: (
    query: string,
    variables?: Record<string, unknown>,
    operationName?: string,
  ) => Promise<GraphQLResponse>;
  readonly close: () => Promise<void>;
}

export interface StartOptions {
  readonly plugins: Plugin[];
  /** Default: a fresh {@link blogSchema}. */
  readonly schema?: ReturnType<typeof blogSchema>;
  /** Requests run as this tenant (as the HTTP middleware of an app would set it). */
  readonly tenant?: string;
  /** yoga's own masking (default on); tests of ours turn it off. */
  readonly maskedErrors?: boolean;
  /** yoga's context factory, e.g. one that fails. */
  readonly context?: () => Promise<object>;
}

export async function startServer(options: StartOptions): Promise<TestServer> {
  const yoga = createYoga({
    schema: options.schema ?? blogSchema(),
    plugins: options.plugins,
    logging: false,
    maskedErrors: options.maskedErrors ?? true,
    ...(options.context !== undefined ? { context: options.context } : {}),
  });
  const server: Server = createServer((req, res) => {
    const handle = () => void yoga(req, res);
    if (options.tenant === undefined) handle();
    else runWithTenant(options.tenant, handle);
  });
  const port = await freePort();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    url,
    query: async (query, variables, operationName) => {
      const res = await fetch(url, {
        method: 'POST',
        // The GraphQL-over-HTTP media type: yoga answers request errors with 4xx under it.
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query, variables, operationName }),
      });
      return { status: res.status, body: (await res.json()) as GraphQLResponse['body'] };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serves `plugin` for `run`, then closes the server and shuts the plugin down. */
export async function serve(
  plugin: Plugin & { shutdown(): Promise<void> },
  options: Omit<StartOptions, 'plugins'>,
  run: (server: TestServer) => Promise<void>,
): Promise<void> {
  const server = await startServer({ ...options, plugins: [plugin] });
  try {
    await run(server);
  } finally {
    await server.close();
    await plugin.shutdown();
  }
}

export { operationCount, sample, testTracing, type TestTracing } from './telemetry';

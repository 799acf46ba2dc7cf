// A small GraphQL-over-HTTP client on keep-alive sockets, timing each call and classifying failures
// (network, timeout, HTTP status, GraphQL error code) the way the summary reports them.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string };
}

export interface CallResult<T = Record<string, unknown>> {
  latencyMs: number;
  /** HTTP status; 0 when no response came. */
  status: number;
  data: T | null;
  errors: GraphQLErrorBody[];
  /** Why the call failed, as the summary groups it; undefined on success. */
  failure: string | undefined;
  /** The network error code (ECONNREFUSED ...) when the request never got a response. */
  networkCode: string | undefined;
}

export interface GraphQLClientOptions {
  url: string;
  timeoutMs: number;
  /** Sockets kept per host. Default 64. */
  maxSockets?: number;
}

/** The GraphQL error code the summary shows: `extensions.code`, else a generic label. */
export function errorCode(errors: readonly GraphQLErrorBody[]): string | undefined {
  const first = errors[0];
  if (first === undefined) return undefined;
  return typeof first.extensions?.code === 'string' ? first.extensions.code : 'GRAPHQL_ERROR';
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

export class GraphQLClient {
  private readonly endpoint: URL;
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;

  constructor(options: GraphQLClientOptions) {
    this.endpoint = new URL(`${options.url}/graphql`);
    this.timeoutMs = options.timeoutMs;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    this.agent =
      this.endpoint.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /** Never rejects: every failure is described in the result. */
  call<T = Record<string, unknown>>(
    key: string,
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<CallResult<T>> {
    const body = JSON.stringify({ query, variables });
    const started = performance.now();
    const request = this.endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: Omit<CallResult<T>, 'latencyMs'>): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve({ ...result, latencyMs: performance.now() - started });
      };
      // A deadline for the whole call, not the socket's idle timeout: a server that trickles bytes
      // still times out.
      const deadline = setTimeout(() => {
        done({ status: 0, data: null, errors: [], failure: 'TIMEOUT', networkCode: 'TIMEOUT' });
        req.destroy();
      }, this.timeoutMs);
      const req = request(
        this.endpoint,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json, application/json',
            authorization: `Bearer ${key}`,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          readBody(res).then(
            (text) => {
              const status = res.statusCode ?? 0;
              let parsed: { data?: T | null; errors?: GraphQLErrorBody[] } | undefined;
              try {
                parsed = JSON.parse(text) as typeof parsed;
              } catch {
                parsed = undefined;
              }
              const errors = Array.isArray(parsed?.errors) ? parsed.errors : [];
              const data = parsed?.data ?? null;
              let failure: string | undefined;
              if (parsed === undefined) failure = `HTTP ${status} (not JSON)`;
              else if (errors.length > 0) failure = errorCode(errors);
              else if (status < 200 || status >= 300) failure = `HTTP ${status}`;
              done({ status, data, errors, failure, networkCode: undefined });
            },
            (error: NodeJS.ErrnoException) =>
              done({
                status: res.statusCode ?? 0,
                data: null,
                errors: [],
                failure: error.code ?? 'RESPONSE_ERROR',
                networkCode: error.code,
              }),
          );
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        done({
          status: 0,
          data: null,
          errors: [],
          failure: error.code ?? error.message,
          networkCode: error.code ?? 'ERROR',
        }),
      );
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

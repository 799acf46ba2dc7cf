// Starts the gateway (policies, signals, HTTP server) and stops it in an order that loses nothing:
// no new requests, then spans and logs flushed, then the limiter's last audit counts, then the audit log.
import { createServer, type Server } from 'node:http';
import { verifyAuditLog, type AuditHead, type AuditVerifyResult } from '@autoweave/tenant-isolation';
import { createPolicies, type Policies, type PolicyOptions } from './policies';
import { createRoutes } from './routes';
import { createTelemetry, type Telemetry, type TelemetryOptions } from './telemetry';

export interface GatewayOptions extends PolicyOptions, TelemetryOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface ShutdownResult {
  /** The last entry of the audit chain: anchor it somewhere else to detect lines cut from the end. */
  readonly head: AuditHead;
  /** The audit file verified after it was closed. */
  readonly verified: AuditVerifyResult;
}

export interface Gateway {
  /** `http://host:port` the server listens on. */
  readonly url: string;
  readonly policies: Policies;
  readonly telemetry: Telemetry;
  readonly auditFile: string;
  /** Idempotent; resolves once everything is flushed and the audit log is closed and verified. */
  shutdown(): Promise<ShutdownResult>;
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const policies = await createPolicies(options);
  const telemetry = createTelemetry(policies, options);
  const server = createServer(createRoutes(policies, telemetry, options.auditFile));
  try {
    await listen(server, options.port, options.host);
  } catch (error) {
    await telemetry.shutdown();
    policies.stop();
    await policies.audit.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;

  let stopping: Promise<ShutdownResult> | undefined;
  const shutdown = async (): Promise<ShutdownResult> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections would hold close() open until their clients leave; in-flight
    // requests get a few seconds to finish.
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 5000);
    await closed;
    clearTimeout(force);
    await telemetry.shutdown();
    policies.stop();
    await policies.audit.close();
    const head = policies.audit.head();
    const verified = await verifyAuditLog(options.auditFile, { expectedHead: head });
    return { head, verified };
  };

  return {
    url: `http://${host}:${port}`,
    policies,
    telemetry,
    auditFile: options.auditFile,
    shutdown: () => (stopping ??= shutdown()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

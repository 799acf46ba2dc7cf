// Small HTTP helpers of the gateway: JSON answers, the loopback check of the operator pages, and a
// bounded, validated order body.
import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 16 * 1024;

/** An order as clients send it. The e-mail, card and payment token are what redaction must catch. */
export interface OrderRequest {
  readonly customerEmail: string;
  readonly card: string;
  readonly paymentToken: string;
  readonly items: number;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
    .end(JSON.stringify(body));
}

export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && /^(?:127\.|::1$|::ffff:127\.)/.test(address);
}

/** The request body as text, at most MAX_BODY_BYTES (undefined beyond that). */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function parseOrder(text: string | undefined): OrderRequest | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { customerEmail, card, paymentToken, items } = value as Record<string, unknown>;
  const short = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;
  if (!short(customerEmail) || !short(card) || !short(paymentToken)) return undefined;
  if (typeof items !== 'number' || !Number.isInteger(items) || items < 1 || items > 100) return undefined;
  return { customerEmail, card, paymentToken, items };
}

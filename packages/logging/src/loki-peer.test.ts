import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { startLokiPeer, type LokiPeer } from '@autoweave/test-utils';
import { parse } from 'protobufjs';

const snappy = createRequire(__filename)('snappyjs') as { compress(input: Uint8Array): Uint8Array };

// Loki's pkg/push/push.proto, as Promtail/Alloy encode it.
const PUSH_PROTO = `
syntax = "proto3";
package logproto;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
`;

function post(url: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/loki/api/v1/push`, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Loki peer', () => {
  let peer: LokiPeer;
  beforeEach(async () => {
    peer = await startLokiPeer();
  });
  afterEach(() => peer.stop());

  it('decodes a snappy-compressed protobuf push', async () => {
    const PushRequest = parse(PUSH_PROTO).root.lookupType('logproto.PushRequest');
    const message = PushRequest.create({
      streams: [
        {
          labels: '{service="api", tenant_id="acme", note="a \\"quoted\\" value"}',
          entries: [
            { timestamp: { seconds: 1_700_000_000, nanos: 123_456_789 }, line: 'first line' },
            {
              timestamp: { seconds: 1_700_000_001, nanos: 0 },
              line: '{"message":"second"}',
              structuredMetadata: [{ name: 'trace_id', value: 'abc' }],
            },
          ],
        },
      ],
    });
    const body = Buffer.from(snappy.compress(PushRequest.encode(message).finish()));
    const status = await post(peer.url, body, {
      'content-type': 'application/x-protobuf',
      'x-scope-orgid': 'acme',
    });

    expect(status).toBe(204);
    const [req] = peer.requests;
    expect(req).toMatchObject({ format: 'protobuf', orgId: 'acme' });
    expect(peer.entries()).toEqual([
      {
        tsNs: '1700000000123456789',
        line: 'first line',
        labels: { service: 'api', tenant_id: 'acme', note: 'a "quoted" value' },
        orgId: 'acme',
      },
      {
        tsNs: '1700000001000000000',
        line: '{"message":"second"}',
        labels: { service: 'api', tenant_id: 'acme', note: 'a "quoted" value' },
        orgId: 'acme',
      },
    ]);
  });

  it('decodes a gzip-encoded JSON push and rejects a malformed one with 400', async () => {
    const json = JSON.stringify({
      streams: [{ stream: { job: 'x' }, values: [['1700000000000000000', 'hi']] }],
    });
    expect(
      await post(peer.url, gzipSync(json), {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      }),
    ).toBe(204);
    expect(
      await post(peer.url, Buffer.from('{"streams":[{"values":[[1,2]]}]}'), {
        'content-type': 'application/json',
      }),
    ).toBe(400);
    expect(peer.entries()).toEqual([
      { tsNs: '1700000000000000000', line: 'hi', labels: { job: 'x' }, orgId: undefined },
    ]);
    expect(peer.requests[1]?.error).toBeDefined();
  });

  it('answers with the status it is told to fail with, and comes back on the same port after restart', async () => {
    const json = Buffer.from(JSON.stringify({ streams: [{ stream: { a: 'b' }, values: [['1', 'x']] }] }));
    peer.failWith(503);
    expect(await post(peer.url, json, { 'content-type': 'application/json' })).toBe(503);
    peer.failWith(null);
    const { port } = peer;
    await peer.stop();
    await expect(post(peer.url, json, { 'content-type': 'application/json' })).rejects.toThrow();
    await peer.restart();
    expect(peer.port).toBe(port);
    expect(await post(peer.url, json, { 'content-type': 'application/json' })).toBe(204);
    expect(peer.entries()).toHaveLength(1);
  });
});

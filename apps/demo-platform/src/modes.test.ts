// The demo's switches: AUTOWEAVE_OBSERVABILITY=off runs the same platform with telemetry off (the
// overhead benchmark's baseline), and the USB simulation is refused outside simulate mode.
import { getRedis, type RedisForTests } from '@autoweave/test-utils';
import { DEMO_KEYS } from './demo-keys';
import { eventually, startDemo, type DemoProcess } from './test/demo-process';

let redis: RedisForTests;
let demo: DemoProcess;

beforeAll(async () => {
  redis = await getRedis();
  demo = await startDemo({ REDIS_URL: redis.url, AUTOWEAVE_OBSERVABILITY: 'off', AUTOWEAVE_USB: 'off' });
}, 90_000);

afterAll(async () => {
  const code = await demo?.stop('SIGTERM');
  await redis?.stop();
  expect(code).toBe(0);
});

describe('AUTOWEAVE_OBSERVABILITY=off with AUTOWEAVE_USB=off', () => {
  it('serves the same API and runs jobs, with no telemetry at all', async () => {
    const started = await demo.gql(
      DEMO_KEYS.acme,
      'mutation { runPlugin(name: "echo", input: {x: 1}) { id traceId } }',
    );
    const job = started.body.data?.runPlugin as { id: string; traceId: string | null };
    expect(job.traceId).toBeNull();
    await eventually('the job to complete', async () => {
      const { body } = await demo.gql(DEMO_KEYS.acme, 'query($id: ID!) { job(id: $id) { state } }', {
        id: job.id,
      });
      return (body.data?.job as { state: string }).state === 'completed' ? true : undefined;
    });
    expect((await demo.get('/metrics')).status).toBe(404);
    const ready = JSON.parse((await demo.get('/readyz')).text) as {
      status: string;
      checks: { exporters: { components: Record<string, { status: string }> } };
    };
    expect(ready.status).toBe('ready');
    expect(ready.checks.exporters.components).toMatchObject({
      tracing: { status: 'disabled' },
      logging: { status: 'disabled' },
      metrics: { status: 'disabled' },
    });
    const debug = JSON.parse((await demo.get('/debug/data')).text) as { traces: unknown[] };
    expect(debug.traces).toEqual([]);
    expect(demo.logs()).toEqual([]);
  });

  it('refuses simulateUsbEvent outside simulate mode and lists no devices', async () => {
    const { body } = await demo.gql(DEMO_KEYS.globex, 'mutation { simulateUsbEvent(action: ATTACH) }');
    expect(body.errors?.[0]).toMatchObject({
      message:
        'simulateUsbEvent only works with AUTOWEAVE_USB=simulate; this demo runs with AUTOWEAVE_USB=off',
      extensions: { code: 'USB_SIMULATION_DISABLED' },
    });
    const devices = await demo.gql(DEMO_KEYS.globex, '{ devices { id } }');
    expect(devices.body).toEqual({ data: { devices: [] } });
    const health = JSON.parse((await demo.get('/healthz')).text) as { usb: unknown; observability: string };
    expect(health).toMatchObject({
      usb: { mode: 'off', simulated: false, state: 'off' },
      observability: 'off',
    });
  });
});

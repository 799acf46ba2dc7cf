import { AlertStore, parseAlertmanagerPayload } from './alerts';

const alert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'HighErrorRate', severity: 'ticket' },
  annotations: { summary: 's' },
  startsAt: '2025-01-01T12:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://127.0.0.1:9090',
  fingerprint: 'f1',
  ...over,
});
const payload = (over: Record<string, unknown> = {}) => ({
  version: '4',
  groupKey: 'g',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'demo',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://127.0.0.1:9093',
  alerts: [alert()],
  ...over,
});

describe('parseAlertmanagerPayload', () => {
  it('accepts a v4 payload and drops the zero endsAt Alertmanager sends for open alerts', () => {
    const result = parseAlertmanagerPayload(payload());
    expect(result).toEqual({
      ok: true,
      notification: {
        status: 'firing',
        receiver: 'demo',
        groupKey: 'g',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'HighErrorRate', severity: 'ticket' },
            annotations: { summary: 's' },
            startsAt: '2025-01-01T12:00:00Z',
            endsAt: undefined,
            fingerprint: 'f1',
          },
        ],
      },
    });
  });

  it('names every bad field', () => {
    const result = parseAlertmanagerPayload(
      payload({
        version: '3',
        status: 'burning',
        alerts: [alert({ status: 'on', labels: { alertname: 3 }, startsAt: 'soon' }), 'x'],
      }),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      'version: must be "4" (Alertmanager webhook payload version), got "3"',
      'status: must be "firing" or "resolved", got "burning"',
      'alerts[0].status: must be "firing" or "resolved", got "on"',
      'alerts[0].labels.alertname: must be a string, got 3',
      'alerts[0].labels.alertname: required (every Alertmanager alert has one)',
      'alerts[0].startsAt: must be an RFC 3339 time such as "2025-01-01T12:00:00Z", got "soon"',
      'alerts[1]: must be an object, got "x"',
    ]);
  });

  it('refuses what is not an object or has no alerts array', () => {
    expect(parseAlertmanagerPayload([])).toEqual({
      ok: false,
      problems: ['body: must be a JSON object (an Alertmanager webhook payload)'],
    });
    const result = parseAlertmanagerPayload(payload({ alerts: undefined }));
    expect(!result.ok && result.problems).toEqual(['alerts: must be an array of alerts, got nothing']);
  });
});

describe('AlertStore', () => {
  it('keeps the latest state per fingerprint, firing first, and forgets resolved alerts after a while', () => {
    let now = 1_000_000;
    const store = new AlertStore({ keepResolvedMs: 60_000, now: () => now });
    const parse = (p: unknown) => {
      const r = parseAlertmanagerPayload(p);
      if (!r.ok) throw new Error(r.problems.join('; '));
      return r.notification;
    };
    store.add(parse(payload({ alerts: [alert({ fingerprint: 'a' }), alert({ fingerprint: 'b' })] })));
    now += 1000;
    store.add(
      parse(
        payload({
          status: 'resolved',
          alerts: [alert({ fingerprint: 'a', status: 'resolved', endsAt: '2025-01-01T13:00:00Z' })],
        }),
      ),
    );
    expect(store.list().map((a) => [a.fingerprint, a.status, a.endsAt])).toEqual([
      ['b', 'firing', undefined],
      ['a', 'resolved', '2025-01-01T13:00:00Z'],
    ]);
    expect(store.firing()).toBe(1);
    now += 61_000;
    expect(store.list().map((a) => a.fingerprint)).toEqual(['b']);
  });

  it('is bounded: resolved alerts go before firing ones', () => {
    const store = new AlertStore({ maxAlerts: 2 });
    const r = parseAlertmanagerPayload(
      payload({
        alerts: [
          alert({ fingerprint: 'x', status: 'resolved' }),
          alert({ fingerprint: 'y' }),
          alert({ fingerprint: 'z' }),
        ],
      }),
    );
    if (!r.ok) throw new Error('invalid');
    store.add(r.notification);
    expect(store.list().map((a) => a.fingerprint)).toEqual(['z', 'y']);
  });
});

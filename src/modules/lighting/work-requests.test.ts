import { describe, expect, it } from 'vitest';
import type { AlertRow } from './store.ts';
import { WorkRequests } from './work-requests.ts';

const alert: AlertRow = {
  id: '42',
  lampId: 'urn:ngsi-ld:Streetlight:x',
  kind: 'offAtNight',
  communeCode: null,
  scope: null,
  raisedAt: '2026-01-01T00:00:00.000Z',
  clearedAt: '2026-01-02T00:00:00.000Z',
  detail: {},
  workRequestId: '7',
};

describe('WorkRequests.resolve', () => {
  const answering = (status: number) => new WorkRequests(async () => ({ status, body: {} }));

  it('counts a request citizen services no longer hold (404) as resolved, and fails on other refusals', async () => {
    await expect(answering(200).resolve(alert)).resolves.toBeUndefined();
    await expect(answering(404).resolve(alert)).resolves.toBeUndefined();
    await expect(answering(503).resolve(alert)).rejects.toThrow('HTTP 503');
    await expect(answering(403).resolve(alert)).rejects.toThrow('HTTP 403');
  });

  it('asks for the alert’s own request, with a note', async () => {
    const sent: { url: string; body: unknown }[] = [];
    await new WorkRequests(async (_m, url, body) => (sent.push({ url, body }), { status: 200, body: {} })).resolve(alert);
    expect(sent).toEqual([{ url: '/api/citizen/work-requests/lighting/42/resolve', body: { note: expect.stringContaining('lighting alert 42 cleared') } }]);
  });
});

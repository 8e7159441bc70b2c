/**
 * Work requests for faults, through the citizen-services module's public API (POST /api/citizen/work-requests),
 * called in-process as the system principal. The lighting module never imports citizen code (DESIGN rule 3):
 * only the HTTP contract. Failures are logged by the caller and never stop fault detection.
 */
import type { FastifyInstance } from 'fastify';
import { INTERNAL_HEADER } from '../../platform/auth/plugin.ts';
import type { FaultKind } from './faults.ts';
import type { AlertRow } from './store.ts';

/** The citizen catalogue's service for a streetlight that is out (Open311 service_code). */
export const STREETLIGHT_SERVICE_CODE = 'eclairage-panne';
const SOURCE = 'lighting';

export type Send = (method: 'POST', url: string, body: unknown) => Promise<{ status: number; body: unknown }>;

/** The citizen `fault` attribute for the kinds it has a value for. */
const CITIZEN_FAULT: Partial<Record<FaultKind, string>> = { offAtNight: 'off', onByDay: 'on-by-day', reportedFailure: 'damaged' };
const LABEL: Record<FaultKind, string> = {
  offAtNight: 'off at night',
  onByDay: 'on by day',
  powerDeviation: 'power consumption far from the expected value',
  noData: 'no telemetry',
  reportedFailure: 'failure reported by the lamp',
};

export function faultDescription(a: AlertRow): string {
  const detail = Object.entries(a.detail)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  return `Fault detected from telemetry (lighting alert ${a.id}): lamp ${a.lampId} ${LABEL[a.kind] ?? a.kind} since ${a.raisedAt}${detail ? ` (${detail})` : ''}.`;
}

export class WorkRequests {
  constructor(private readonly send: Send) {}

  /** Opens (or finds, for the same alert) the work request of a raised alert; returns its id. */
  async open(a: AlertRow, at: { lat: number; lon: number }): Promise<string> {
    const fault = CITIZEN_FAULT[a.kind];
    const res = await this.send('POST', '/api/citizen/work-requests', {
      service_code: STREETLIGHT_SERVICE_CODE,
      lat: at.lat,
      long: at.lon,
      description: faultDescription(a),
      asset_id: a.lampId,
      ...(fault ? { attributes: { fault } } : {}),
      source: SOURCE,
      external_ref: a.id,
    });
    const id = (res.body as { service_request_id?: unknown } | undefined)?.service_request_id;
    if ((res.status !== 200 && res.status !== 201) || typeof id !== 'string') throw new Error(`citizen work request: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return id;
  }

  /** Marks the work request of a cleared alert fixed. */
  async resolve(a: AlertRow): Promise<void> {
    const res = await this.send('POST', `/api/citizen/work-requests/${SOURCE}/${encodeURIComponent(a.id)}/resolve`, {
      note: `Telemetry shows the lamp normal again since ${a.clearedAt ?? 'now'} (lighting alert ${a.id} cleared).`,
    });
    // 404: citizen services hold no such request any more (deleted by hand): nothing is left to resolve,
    // and asking again at every start would never succeed.
    if (res.status !== 200 && res.status !== 404) throw new Error(`citizen work request: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
}

/** The server is starting or stopping: the request was not sent (the alert is asked for again at start). */
export class ServerNotReadyError extends Error {
  constructor() {
    super('server not ready');
  }
}

/** In-process sender: Fastify inject with this process's internal token (acts as the system principal). */
export function inProcessSender(app: FastifyInstance, isReady: () => boolean): Send {
  return async (method, url, body) => {
    if (!isReady()) throw new ServerNotReadyError();
    // The server may have begun closing before this module heard of it (other modules' close hooks run first).
    const res = await app
      .inject({ method, url, headers: { [INTERNAL_HEADER]: app.internalToken, 'content-type': 'application/json' }, payload: JSON.stringify(body) })
      .catch((err: { code?: string }) => {
        throw err?.code === 'FST_ERR_REOPENED_CLOSE_SERVER' ? new ServerNotReadyError() : err;
      });
    let parsed: unknown;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      parsed = res.body;
    }
    return { status: res.statusCode, body: parsed };
  };
}

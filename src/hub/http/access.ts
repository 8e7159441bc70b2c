import type { FastifyRequest } from 'fastify';
import { hasRole } from '../../platform/auth/principal.ts';
import { HubErrors } from '../errors.ts';

/**
 * Who may use the NGSI-LD API (MADINA_HUB_AUTH): `open` (anyone; the demo default), `write` (reads
 * open, writes need an operator, device or administrator — the production default), `all` (every
 * request needs one of those roles). Madina's own modules call the hub in-process as the system.
 */
export type HubAccessPolicy = 'open' | 'write' | 'all';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The roles the hub's guarded requests need (administrators always pass). */
export const HUB_ROLES = ['operator', 'device'] as const;

export function hubAccessHook(policy: HubAccessPolicy) {
  return async (req: FastifyRequest) => {
    if (policy === 'open') return;
    // POST /entityOperations/query only reads.
    const reads = READ_METHODS.has(req.method) || req.url.includes('/entityOperations/query');
    if (policy === 'write' && reads) return;
    if (req.principal.kind === 'anonymous') throw HubErrors.unauthorized.with('Send an API key (X-API-Key) or a session token');
    if (!hasRole(req.principal, ...HUB_ROLES)) throw HubErrors.forbidden.with('Needs the operator or device role');
  };
}

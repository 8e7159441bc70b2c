/**
 * The internal channel: committed changes pushed to in-process readers (Madina's modules) and, through
 * GET /api/live, to the web app as server-sent events, filtered like a subscription. Not durable: a
 * reader gets what commits while it listens, and an SSE client that reconnects with Last-Event-ID
 * gets the changes it missed if the server still holds them (the last `ringSize` changes, same process).
 */
import { randomUUID } from 'node:crypto';
import type { EntityChange, EntityService } from '../entities/service.ts';
import type { Format } from '../entities/render.ts';
import type { TermMapper } from '../jsonld/term-mapper.ts';
import { matchChange, type Matcher } from './match.ts';
import { NOTIFICATION_URN, type SubscriptionDoc } from './model.ts';
import { renderChangedEntity } from './notification.ts';

export interface LiveFilter {
  tenant: string;
  matcher: Matcher;
  mapper: TermMapper;
  format: Format;
  /** Expanded attribute IRIs to show (undefined = all). */
  attrs?: string[];
  sysAttrs?: boolean;
}

export interface LiveNotification {
  /** `<boot id>.<sequence>`: the SSE event id. */
  eventId: string;
  body: Record<string, unknown>;
}

interface LiveEvent {
  seq: number;
  tenant: string;
  change: EntityChange;
  at: string;
}

type Listener = (e: LiveEvent) => void;

export class LiveFeed {
  /** Identifies this process: event ids of another run are not replayed. */
  readonly bootId = randomUUID().slice(0, 8);
  private seq = 0;
  private readonly ring: LiveEvent[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(
    entities: EntityService,
    private readonly ringSize = 1000,
    private readonly clock: () => Date = () => new Date(),
  ) {
    entities.onCommitted((tenant, changes) => this.publish(tenant, changes));
  }

  private publish(tenant: string, changes: EntityChange[]): void {
    const at = this.clock().toISOString();
    for (const change of changes) {
      const e: LiveEvent = { seq: ++this.seq, tenant, change, at };
      this.ring.push(e);
      if (this.ring.length > this.ringSize) this.ring.shift();
      for (const l of this.listeners) l(e);
    }
  }

  /** Listeners currently attached (SSE clients and in-process readers). */
  get size(): number {
    return this.listeners.size;
  }

  /**
   * Calls `deliver` with every committed change the filter selects, rendered as a Notification, starting
   * after `lastEventId` when it is one of this process's recent events. Returns the unsubscribe function.
   */
  watch(filter: LiveFilter, deliver: (n: LiveNotification) => void, lastEventId?: string): () => void {
    const doc = {
      id: 'urn:ngsi-ld:Subscription:live',
      notification: {
        format: filter.format,
        sysAttrs: filter.sysAttrs ?? false,
        showChanges: false,
        attributes: filter.attrs,
        endpoint: { uri: 'http://localhost/', accept: 'application/json' },
      },
      notificationTrigger: [],
      isActive: true,
    } as SubscriptionDoc;
    const handle: Listener = (e) => {
      if (e.tenant !== filter.tenant) return;
      const m = matchChange(filter.matcher, e.change);
      if (!m) return;
      deliver({
        eventId: `${this.bootId}.${e.seq}`,
        body: {
          id: `${NOTIFICATION_URN}${randomUUID()}`,
          type: 'Notification',
          notifiedAt: e.at,
          triggerReason: m.reason,
          data: [renderChangedEntity(doc, filter.mapper, e.change, m, e.at)],
        },
      });
    };
    const [boot, seq] = (lastEventId ?? '').split('.');
    if (boot === this.bootId && /^\d+$/.test(seq ?? '')) {
      for (const e of this.ring) if (e.seq > Number(seq)) handle(e);
    }
    this.listeners.add(handle);
    return () => this.listeners.delete(handle);
  }
}

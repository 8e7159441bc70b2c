/** Counters of the southbound: what came in, what reached the hub, what was rejected or dropped and why. */
import type { RejectReason } from './mapping.ts';

export interface IotStatsSnapshot {
  since: string;
  /** Messages received (MQTT and HTTP), measures and command results. */
  received: number;
  /** Measure messages whose values were committed to the hub. */
  accepted: number;
  /** Attribute values committed to the hub. */
  acceptedValues: number;
  rejected: { total: number; byReason: Partial<Record<RejectReason, number>> };
  dropped: { total: number; byReason: { overload?: number } };
  commands: { sent: number; results: number; failed: number };
  autoprovisioned: number;
}

export class IotStats {
  private readonly since = new Date().toISOString();
  received = 0;
  accepted = 0;
  acceptedValues = 0;
  private readonly rejected = new Map<RejectReason, number>();
  overload = 0;
  commandsSent = 0;
  commandResults = 0;
  commandsFailed = 0;
  autoprovisioned = 0;

  reject(reason: RejectReason, n = 1): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + n);
  }

  snapshot(): IotStatsSnapshot {
    const byReason = Object.fromEntries([...this.rejected].sort(([a], [b]) => a.localeCompare(b)));
    return {
      since: this.since,
      received: this.received,
      accepted: this.accepted,
      acceptedValues: this.acceptedValues,
      rejected: { total: [...this.rejected.values()].reduce((a, b) => a + b, 0), byReason },
      dropped: { total: this.overload, byReason: this.overload ? { overload: this.overload } : {} },
      commands: { sent: this.commandsSent, results: this.commandResults, failed: this.commandsFailed },
      autoprovisioned: this.autoprovisioned,
    };
  }
}

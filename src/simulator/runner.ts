/**
 * The live simulator: publishes the assets' telemetry as FIWARE IoT Agent JSON measures
 * (`/json/<apikey>/<device_id>/attrs`) at a fixed rate. Memory is bounded: no per-device state (patterns
 * are functions of time), QoS 0 messages are never queued while the broker is away (they are counted as
 * dropped), and a stall never turns into a burst (the budget is capped at one second of messages).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { disableNagle } from '../platform/mqtt-nodelay.ts';
import { ASSET_KINDS, type Asset } from '../region/assets.ts';
import { measuresOf } from './patterns.ts';
import { ReportScheduler } from './scheduler.ts';

export interface Publisher {
  /** False when the message could not be handed to the broker (not connected). */
  publish(topic: string, payload: string): boolean;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  assets: readonly Asset[];
  seed: number | string;
  /** Messages (measure sets) per second. */
  ratePerS: number;
  /** Simulated seconds per real second (1 = real time). */
  speed?: number;
  tickMs?: number;
  /** Real clock, for tests. */
  now?: () => number;
}

export interface SimulatorStats {
  published: number;
  dropped: number;
  byKind: Record<string, number>;
  startedAt: string;
  /** The simulated instant of the last message. */
  simulatedTime?: string;
}

export const measureTopic = (a: Asset) => `/json/${ASSET_KINDS[a.kind].apikey}/${a.deviceId}/attrs`;

/** One message: the measures at simulated instant `ms`, stamped with it (TimeInstant, the agent's convention). */
export function measureMessage(a: Asset, ms: number, seed: number | string): { topic: string; payload: string } {
  return { topic: measureTopic(a), payload: JSON.stringify({ ...measuresOf(a, ms, seed), TimeInstant: new Date(ms).toISOString() }) };
}

export class Simulator {
  private readonly scheduler: ReportScheduler;
  private timer: NodeJS.Timeout | undefined;
  private budget = 0;
  private last = 0;
  private readonly startReal: number;
  private readonly now: () => number;
  readonly stats: SimulatorStats;

  constructor(
    private readonly publisher: Publisher,
    private readonly options: SimulatorOptions,
  ) {
    this.scheduler = new ReportScheduler(options.assets);
    this.now = options.now ?? Date.now;
    this.startReal = this.now();
    this.last = this.startReal;
    this.stats = { published: 0, dropped: 0, byKind: {}, startedAt: new Date(this.startReal).toISOString() };
  }

  /** The simulated clock: real time, optionally accelerated from the start instant. */
  simulatedMs(realMs = this.now()): number {
    return this.startReal + (realMs - this.startReal) * (this.options.speed ?? 1);
  }

  start(): void {
    if (this.timer || this.scheduler.size === 0) return;
    this.last = this.now();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 200);
  }

  /** Sends the messages due since the last tick (at most one second's worth). */
  tick(): number {
    const now = this.now();
    this.budget = Math.min(this.options.ratePerS, this.budget + ((now - this.last) / 1000) * this.options.ratePerS);
    this.last = now;
    const simMs = this.simulatedMs(now);
    let sent = 0;
    while (this.budget >= 1) {
      this.budget -= 1;
      const asset = this.scheduler.next();
      if (!asset) break;
      const { topic, payload } = measureMessage(asset, simMs, this.options.seed);
      if (this.publisher.publish(topic, payload)) {
        this.stats.published++;
        this.stats.byKind[asset.kind] = (this.stats.byKind[asset.kind] ?? 0) + 1;
        sent++;
      } else {
        this.stats.dropped++;
      }
    }
    this.stats.simulatedTime = new Date(simMs).toISOString();
    return sent;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.publisher.close();
  }
}

/** An MQTT publisher that never queues: QoS 0, offline messages dropped, reconnects on its own. */
export function mqttPublisher(url: string, clientId = `madina-simulator-${process.pid}`): Publisher & { client: MqttClient } {
  const client = disableNagle(mqtt.connect(url, { clientId, queueQoSZero: false, reconnectPeriod: 2000, connectTimeout: 10_000, clean: true }));
  // Errors (refused connection while the broker starts) are retried by the client; keep them from crashing the process.
  client.on('error', () => {});
  return {
    client,
    publish(topic, payload) {
      // Not connected, or the socket is backed up (slow broker): drop rather than queue without bound.
      if (!client.connected || (client.stream?.writableLength ?? 0) > 1_000_000) return false;
      client.publish(topic, payload, { qos: 0 });
      return true;
    },
    async close() {
      await client.endAsync();
    },
  };
}

/**
 * The IoT agent's use cases: provisioning (config groups and devices, kept in SQL and cached in memory),
 * southbound ingestion (MQTT and HTTP measures mapped to NGSI-LD and batched into hub upserts),
 * commands (hub attribute update -> MQTT `/<apikey>/<device_id>/cmd`, result on `.../cmdexe`) and
 * device health (lastSeen, silent devices).
 */
import type { Db } from '../platform/db/db.ts';
import type { Logger } from '../platform/log.ts';
import type { HubClient, NgsiEntity } from '../hub/client/hub-client.ts';
import { IotaErrors, IotErrors } from './errors.ts';
import { IngestBuffer, DEFAULT_BUFFER_OPTIONS, type BufferedEntity, type FlushOutcome, type IngestBufferOptions } from './ingest-buffer.ts';
import { commandState, compileDevice, MeasureRejected, mapMeasures, provisionedAttributes, type CompiledDevice, type NgsiAttribute } from './mapping.ts';
import type { Device, DeviceDoc, Group, GroupDoc } from './model.ts';
import { IotStats, type IotStatsSnapshot } from './stats.ts';
import type { IotStore } from './store.ts';
import { commandTopic, parseTopic } from './topics.ts';
import { validateDevice, validateDeviceUpdate, validateGroup, validateGroupUpdate } from './validate.ts';

/** How the agent publishes commands (the MQTT client, or a test double). */
export interface CommandPublisher {
  publish(topic: string, payload: string): Promise<void>;
}

/** Committed entity changes as the hub reports them (see EntityService.onCommitted). */
export interface CommittedChange {
  kind: 'created' | 'updated' | 'deleted';
  before?: { id: string; attrs: Record<string, { datasetId?: string; modifiedAt?: string; [m: string]: unknown }[]> };
  after?: { id: string; attrs: Record<string, { datasetId?: string; modifiedAt?: string; [m: string]: unknown }[]> };
}

export interface IotAgentOptions {
  maxPayloadBytes: number;
  /** Devices without an expected_period are silent after this many seconds without a message. */
  defaultExpectedPeriodS: number;
  lastSeenFlushMs: number;
  buffer: IngestBufferOptions;
  clock: () => Date;
}

export const DEFAULT_AGENT_OPTIONS: IotAgentOptions = {
  maxPayloadBytes: 64 * 1024,
  defaultExpectedPeriodS: 3600,
  lastSeenFlushMs: 2000,
  buffer: DEFAULT_BUFFER_OPTIONS,
  clock: () => new Date(),
};

interface DeviceState {
  device: Device;
  compiled: CompiledDevice;
  /** The apikey its messages arrive with (for devices provisioned without one). */
  seenApikey?: string;
  /** Autoprovisioned and its entity not written yet: the first write carries static attributes and commands. */
  fresh?: boolean;
}

export interface DeviceHealth {
  deviceId: string;
  entityId: string;
  entityType: string;
  transport: string;
  lastSeen: string | null;
  expectedPeriodS: number;
  silent: boolean;
}

const key = (a: string, b: string) => `${a}\u0000${b}`;
const ENTITY_BATCH = 500;

export class IotAgent {
  private readonly groups = new Map<string, Group>();
  private readonly groupsByApikey = new Map<string, Group[]>();
  private readonly devices = new Map<string, DeviceState>();
  private readonly devicesByOwnKey = new Map<string, DeviceState>();
  private readonly byEntity = new Map<string, DeviceState>();
  private readonly seen = new Map<string, { tenant: string; deviceId: string; at: string }>();
  private readonly toPersist = new Map<string, DeviceState>();
  /** Entities the agent itself just wrote command attributes to: their next change is not a command. */
  private readonly ownWrites = new Map<string, number>();
  private readonly buffer: IngestBuffer;
  readonly stats = new IotStats();
  private publisher: CommandPublisher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private persisting: Promise<void> = Promise.resolve();
  private readonly opts: IotAgentOptions;

  constructor(
    private readonly db: Db,
    private readonly store: IotStore,
    private readonly hub: HubClient,
    /** Expands an attribute name the way the hub does for requests without a @context (core context). */
    private readonly expand: (term: string) => string,
    private readonly log: Logger,
    opts: Partial<IotAgentOptions> = {},
  ) {
    this.opts = { ...DEFAULT_AGENT_OPTIONS, ...opts };
    this.buffer = new IngestBuffer(
      (tenant, entities) => this.upsert(tenant, entities),
      {
        committed: (messages, values) => {
          this.stats.accepted += messages;
          this.stats.acceptedValues += values;
        },
        failed: (messages, reason) => {
          this.stats.reject('hub-error', messages);
          this.log.warn({ reason }, 'iot: the hub refused a device entity update');
        },
        error: (err) => this.log.error({ err }, 'iot: flush to the hub failed'),
      },
      this.opts.buffer,
    );
  }

  /** Loads the registry into memory and starts the lastSeen writer. */
  async start(): Promise<void> {
    for (const g of await this.store.allGroups(this.db)) this.putGroup(g);
    for (const d of await this.store.allDevices(this.db)) this.putDevice(d);
    this.timer = setInterval(() => void this.persist(), this.opts.lastSeenFlushMs);
    this.timer.unref();
  }

  setPublisher(p: CommandPublisher | undefined): void {
    this.publisher = p;
  }

  /** Flushes buffered measures, lastSeen and autoprovisioned devices; stops timers. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.buffer.close();
    await this.persist();
  }

  // ---- in-memory registry

  private putGroup(g: Group): void {
    this.groups.set(key(g.doc.resource, g.doc.apikey), g);
    const l = (this.groupsByApikey.get(g.doc.apikey) ?? []).filter((x) => x.doc.resource !== g.doc.resource);
    l.push(g);
    this.groupsByApikey.set(g.doc.apikey, l);
  }

  private dropGroup(g: Group): void {
    this.groups.delete(key(g.doc.resource, g.doc.apikey));
    const l = (this.groupsByApikey.get(g.doc.apikey) ?? []).filter((x) => x.doc.resource !== g.doc.resource);
    if (l.length) this.groupsByApikey.set(g.doc.apikey, l);
    else this.groupsByApikey.delete(g.doc.apikey);
  }

  /** The group a device belongs to: by its apikey, else by entity type, else the tenant's only group. */
  private groupFor(tenant: string, doc: DeviceDoc, seenApikey?: string): Group | undefined {
    const apikey = doc.apikey ?? seenApikey;
    if (apikey) {
      const g = this.groupsByApikey.get(apikey)?.find((x) => x.tenant === tenant);
      if (g) return g;
    }
    const inTenant = [...this.groups.values()].filter((g) => g.tenant === tenant);
    if (doc.entity_type) {
      const g = inTenant.find((x) => x.doc.entity_type === doc.entity_type);
      if (g) return g;
    }
    return inTenant.length === 1 ? inTenant[0] : undefined;
  }

  private putDevice(device: Device, seenApikey?: string): DeviceState {
    const k = key(device.tenant, device.doc.device_id);
    const old = this.devices.get(k);
    if (old) this.unindexDevice(old);
    const compiled = compileDevice(device.tenant, device.doc, this.groupFor(device.tenant, device.doc, seenApikey ?? old?.seenApikey)?.doc);
    const st: DeviceState = { device, compiled, seenApikey: seenApikey ?? old?.seenApikey };
    this.devices.set(k, st);
    if (device.doc.apikey) this.devicesByOwnKey.set(key(device.doc.apikey, device.doc.device_id), st);
    this.byEntity.set(key(device.tenant, compiled.entityId), st);
    return st;
  }

  private unindexDevice(st: DeviceState): void {
    const d = st.device;
    this.devices.delete(key(d.tenant, d.doc.device_id));
    if (d.doc.apikey) this.devicesByOwnKey.delete(key(d.doc.apikey, d.doc.device_id));
    if (this.byEntity.get(key(d.tenant, st.compiled.entityId)) === st) this.byEntity.delete(key(d.tenant, st.compiled.entityId));
  }

  /** After a group changed, its tenant's devices inherit again. */
  private recompileTenant(tenant: string): void {
    for (const st of [...this.devices.values()]) {
      if (st.device.tenant === tenant) {
        const fresh = st.fresh;
        this.putDevice(st.device).fresh = fresh;
      }
    }
  }

  // ---- provisioning: config groups

  /**
   * Creates config groups (FIWARE POST /iot/groups). All or nothing: a (resource, apikey) pair that
   * exists in any tenant is DUPLICATE_GROUP unless `skipExisting` (the seeder's idempotent path).
   */
  async createGroups(tenant: string, servicePath: string, docs: GroupDoc[], opts: { skipExisting?: boolean } = {}): Promise<{ created: GroupDoc[]; skipped: GroupDoc[] }> {
    const seen = new Set<string>();
    const fresh: Group[] = [];
    const skipped: GroupDoc[] = [];
    for (const doc of docs) {
      const k = key(doc.resource, doc.apikey);
      if (this.groups.has(k) || seen.has(k)) {
        if (!opts.skipExisting) throw IotaErrors.duplicateGroup(`${doc.resource} and API Key ${doc.apikey}`);
        skipped.push(doc);
        continue;
      }
      seen.add(k);
      fresh.push({ tenant, servicePath, doc });
    }
    const inserted = await this.store.insertGroups(this.db, fresh);
    const created: GroupDoc[] = [];
    for (const g of fresh) {
      if (inserted.has(key(g.doc.resource, g.doc.apikey))) {
        this.putGroup(g);
        created.push(g.doc);
      } else if (opts.skipExisting) skipped.push(g.doc);
      else throw IotaErrors.duplicateGroup(`${g.doc.resource} and API Key ${g.doc.apikey}`);
    }
    if (created.length) this.recompileTenant(tenant);
    return { created, skipped };
  }

  listGroups(tenant: string, filter: { servicePath?: string; resource?: string; apikey?: string } = {}): Group[] {
    return [...this.groups.values()].filter(
      (g) =>
        g.tenant === tenant &&
        (!filter.servicePath || g.servicePath === filter.servicePath) &&
        (!filter.resource || g.doc.resource === filter.resource) &&
        (!filter.apikey || g.doc.apikey === filter.apikey),
    );
  }

  private findGroup(tenant: string, resource: string | undefined, apikey: string | undefined): Group {
    if (!apikey) throw IotaErrors.badRequest('the apikey query parameter is required');
    const candidates = (this.groupsByApikey.get(apikey) ?? []).filter((g) => g.tenant === tenant && (!resource || g.doc.resource === resource));
    if (candidates.length !== 1) throw IotaErrors.groupNotFound(` for fields: resource, apikey and values: ${resource ?? ''}, ${apikey}`);
    return candidates[0];
  }

  async updateGroup(tenant: string, resource: string | undefined, apikey: string | undefined, patch: unknown): Promise<void> {
    const g = this.findGroup(tenant, resource, apikey);
    const next: Group = { ...g, doc: validateGroupUpdate(g.doc, patch) };
    await this.store.updateGroup(this.db, next);
    this.putGroup(next);
    this.recompileTenant(tenant);
  }

  async deleteGroup(tenant: string, resource: string | undefined, apikey: string | undefined): Promise<void> {
    const g = this.findGroup(tenant, resource, apikey);
    await this.store.deleteGroup(this.db, tenant, g.doc.resource, g.doc.apikey);
    this.dropGroup(g);
    this.recompileTenant(tenant);
  }

  // ---- provisioning: devices

  /**
   * Creates devices (FIWARE POST /iot/devices) and upserts their entities (type, static attributes,
   * commands with their status and info). All or nothing: an existing device_id in the tenant is
   * DUPLICATE_DEVICE_ID unless `skipExisting`.
   */
  async createDevices(
    tenant: string,
    servicePath: string,
    docs: DeviceDoc[],
    opts: { skipExisting?: boolean; createEntities?: boolean } = {},
  ): Promise<{ created: string[]; skipped: string[] }> {
    const fresh: DeviceDoc[] = [];
    const skipped: string[] = [];
    for (const doc of docs) {
      if (this.devices.has(key(tenant, doc.device_id))) {
        if (!opts.skipExisting) throw IotaErrors.duplicateDeviceId(doc.device_id);
        skipped.push(doc.device_id);
      } else fresh.push(doc);
    }
    const states: DeviceState[] = [];
    await this.db.transaction(async (tx) => {
      const inserted = await this.store.insertDevices(tx, tenant, servicePath, fresh);
      if (!opts.skipExisting && inserted.size !== fresh.length) {
        const dup = fresh.find((d) => !inserted.has(d.device_id));
        throw IotaErrors.duplicateDeviceId(dup?.device_id ?? '');
      }
      for (const doc of fresh) {
        const createdAt = inserted.get(doc.device_id);
        if (createdAt) states.push(this.putDevice({ tenant, servicePath, doc, createdAt }));
        else skipped.push(doc.device_id);
      }
    });
    if (opts.createEntities !== false) await this.writeEntities(tenant, states);
    return { created: states.map((s) => s.device.doc.device_id), skipped };
  }

  /** Upserts the devices' entities with their provisioned attributes, in batches. */
  private async writeEntities(tenant: string, states: DeviceState[]): Promise<void> {
    for (let i = 0; i < states.length; i += ENTITY_BATCH) {
      const chunk = states.slice(i, i + ENTITY_BATCH);
      const entities = chunk.map((s) => ({ tenant, id: s.compiled.entityId, type: s.compiled.entityType, attrs: provisionedAttributes(s.compiled) }));
      for (const s of chunk) if (s.compiled.commands.length) this.markOwnWrite(tenant, s.compiled.entityId);
      try {
        const out = await this.upsert(tenant, entities);
        if (out.failed.length) this.log.warn({ failed: out.failed.slice(0, 5) }, 'iot: some device entities were refused by the hub');
      } finally {
        for (const s of chunk) this.ownWrites.delete(key(tenant, s.compiled.entityId));
      }
    }
  }

  listDevices(tenant: string, filter: { servicePath?: string } = {}): Device[] {
    const out: Device[] = [];
    for (const st of this.devices.values()) {
      if (st.device.tenant === tenant && (!filter.servicePath || st.device.servicePath === filter.servicePath)) out.push(st.device);
    }
    return out.sort((a, b) => (a.doc.device_id < b.doc.device_id ? -1 : a.doc.device_id > b.doc.device_id ? 1 : 0));
  }

  getDevice(tenant: string, deviceId: string): Device | undefined {
    return this.devices.get(key(tenant, deviceId))?.device;
  }

  /** The device as the provisioning API shows it (entity name and type resolved, like the FIWARE agent does). */
  deviceView(device: Device): Record<string, unknown> {
    const st = this.devices.get(key(device.tenant, device.doc.device_id));
    const c = st?.compiled;
    const d = device.doc;
    return {
      device_id: d.device_id,
      service: device.tenant,
      service_path: device.servicePath,
      entity_name: c?.entityId ?? d.entity_name,
      entity_type: c?.entityType ?? d.entity_type,
      ...(d.apikey ? { apikey: d.apikey } : {}),
      transport: c?.transport ?? d.transport,
      attributes: d.attributes ?? [],
      lazy: d.lazy ?? [],
      commands: d.commands ?? [],
      static_attributes: d.static_attributes ?? [],
      internal_attributes: d.internal_attributes ?? [],
      explicitAttrs: d.explicitAttrs ?? false,
      ...Object.fromEntries(
        Object.entries(d).filter(([k]) => !['device_id', 'entity_name', 'entity_type', 'apikey', 'transport', 'attributes', 'lazy', 'commands', 'static_attributes', 'internal_attributes', 'explicitAttrs'].includes(k)),
      ),
      ...(device.lastSeen ? { lastSeen: device.lastSeen } : {}),
    };
  }

  async updateDevice(tenant: string, deviceId: string, patch: unknown): Promise<void> {
    const st = this.devices.get(key(tenant, deviceId));
    if (!st) throw IotaErrors.deviceNotFound(deviceId);
    const doc = validateDeviceUpdate(st.device.doc, patch);
    if (!(await this.store.updateDevice(this.db, tenant, doc))) throw IotaErrors.deviceNotFound(deviceId);
    const next = this.putDevice({ ...st.device, doc });
    const attrs = provisionedAttributes(next.compiled);
    // New static attributes and commands reach the entity; existing command state is kept.
    for (const c of next.compiled.commands) if (st.compiled.commands.some((o) => o.name === c.name)) {
      delete attrs[c.name];
      delete attrs[`${c.name}_status`];
      delete attrs[`${c.name}_info`];
    }
    if (Object.keys(attrs).length) {
      this.markOwnWrite(tenant, next.compiled.entityId);
      try {
        await this.upsert(tenant, [{ tenant, id: next.compiled.entityId, type: next.compiled.entityType, attrs }]);
      } finally {
        this.ownWrites.delete(key(tenant, next.compiled.entityId));
      }
    }
  }

  /** Removes the device from the registry (its entity stays in the hub, as with the FIWARE agent). */
  async deleteDevice(tenant: string, deviceId: string): Promise<void> {
    const st = this.devices.get(key(tenant, deviceId));
    if (!st) throw IotaErrors.deviceNotFound(deviceId);
    await this.store.deleteDevice(this.db, tenant, deviceId);
    this.unindexDevice(st);
    this.toPersist.delete(key(tenant, deviceId));
    this.seen.delete(key(tenant, deviceId));
  }

  // ---- the seeder's interface

  /** Idempotent: creates the config group unless its (resource, apikey) exists. Accepts the FIWARE body of one group. */
  async provisionGroup(tenant: string, group: GroupDoc | Record<string, unknown>, servicePath = '/'): Promise<{ created: boolean }> {
    const r = await this.createGroups(tenant, servicePath, [validateGroup(group)], { skipExisting: true });
    return { created: r.created.length === 1 };
  }

  /** Idempotent bulk provisioning: devices that exist are skipped; new devices' entities are upserted. */
  async provisionDevices(
    tenant: string,
    devices: (DeviceDoc | Record<string, unknown>)[],
    opts: { servicePath?: string; createEntities?: boolean } = {},
  ): Promise<{ created: string[]; skipped: string[] }> {
    const docs = devices.map((d, i) => validateDevice(d, `devices[${i}]`));
    const out = { created: [] as string[], skipped: [] as string[] };
    for (let i = 0; i < docs.length; i += 5000) {
      const r = await this.createDevices(tenant, opts.servicePath ?? '/', docs.slice(i, i + 5000), { skipExisting: true, createEntities: opts.createEntities });
      out.created.push(...r.created);
      out.skipped.push(...r.skipped);
    }
    return out;
  }

  // ---- southbound

  /** One MQTT message on one of the agent's topics. Never throws: rejections are counted. */
  handleMqtt(topic: string, payload: Buffer): void {
    this.stats.received++;
    try {
      const t = parseTopic(topic);
      if (!t) throw new MeasureRejected('bad-topic', `not an agent topic: ${topic.slice(0, 100)}`);
      if (payload.length > this.opts.maxPayloadBytes) throw new MeasureRejected('oversize', `${payload.length} bytes > ${this.opts.maxPayloadBytes}`);
      const st = this.resolve(t.apikey, t.deviceId, 'MQTT');
      const text = payload.toString('utf8');
      if (t.kind === 'cmdexe') return this.commandResult(st, parseJson(text));
      const measures = t.kind === 'attr' ? [{ [t.objectId!]: rawValue(text) }] : measureSets(parseJson(text));
      this.ingest(st, measures);
    } catch (err) {
      this.rejected(err, topic);
    }
  }

  /**
   * HTTP measures (POST /iot/json?k=&i=): resolves when the values are committed to the hub.
   * Throws MeasureRejected (counted) or IotaError.
   */
  async handleHttp(apikey: string, deviceId: string, body: unknown, kind: 'attrs' | 'cmdexe', resource?: string): Promise<void> {
    this.stats.received++;
    try {
      const st = this.resolve(apikey, deviceId, 'HTTP', resource);
      if (kind === 'cmdexe') return this.commandResult(st, body);
      let settle!: { resolve: () => void; reject: (e: Error) => void };
      const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
      if (!this.ingest(st, measureSets(body), settle)) return;
      await done;
    } catch (err) {
      this.rejected(err, `http ${apikey}/${deviceId}`);
      throw err;
    }
  }

  private rejected(err: unknown, where: string): void {
    if (err instanceof MeasureRejected) {
      this.stats.reject(err.reason);
      this.log.debug({ where, reason: err.reason, detail: err.message }, 'iot: message rejected');
    } else if (err instanceof OverloadError) {
      // counted where it happened
    } else {
      this.stats.reject('hub-error');
      this.log.error({ err, where }, 'iot: message failed');
    }
  }

  /** The device a message is for: by its own apikey, else its group's tenant; autoprovisioned when allowed. */
  private resolve(apikey: string, deviceId: string, transport: string, resource?: string): DeviceState {
    const own = this.devicesByOwnKey.get(key(apikey, deviceId));
    if (own) return own;
    const groups = this.groupsByApikey.get(apikey);
    if (!groups?.length) throw new MeasureRejected('unknown-apikey', `no config group with apikey ${apikey.slice(0, 64)}`);
    const g = (resource && groups.find((x) => x.doc.resource === resource)) || groups[0];
    const st = this.devices.get(key(g.tenant, deviceId));
    if (st) {
      if (!st.seenApikey && !st.device.doc.apikey) st.seenApikey = apikey;
      return st;
    }
    if (g.doc.autoprovision === false) throw new MeasureRejected('unknown-device', `device ${deviceId.slice(0, 64)} is not provisioned and its group does not autoprovision`);
    return this.autoprovision(g, deviceId, transport);
  }

  private autoprovision(g: Group, deviceId: string, transport: string): DeviceState {
    const doc: DeviceDoc = { device_id: deviceId, apikey: g.doc.apikey, transport };
    if (g.doc.entity_type) doc.entity_type = g.doc.entity_type;
    const st = this.putDevice({ tenant: g.tenant, servicePath: g.servicePath, doc, createdAt: this.opts.clock().toISOString() });
    st.fresh = true;
    this.toPersist.set(key(g.tenant, deviceId), st);
    this.stats.autoprovisioned++;
    return st;
  }

  /** Maps and buffers one message's measure sets; false when it was dropped for overload. */
  private ingest(st: DeviceState, sets: unknown[], wait?: { resolve: () => void; reject: (e: Error) => void }): boolean {
    const now = this.opts.clock().toISOString();
    const attrs: Record<string, NgsiAttribute> = {};
    // Every set is mapped before anything is buffered: one bad value rejects the whole message.
    for (const s of sets) Object.assign(attrs, mapMeasures(st.compiled, s, now));
    this.touch(st, now);
    const values = Object.keys(attrs).length;
    const first = st.fresh ? provisionedAttributes(st.compiled) : undefined;
    if (!values && !first) {
      this.stats.accepted++;
      wait?.resolve();
      return true;
    }
    if (first && st.compiled.commands.length) this.markOwnWrite(st.device.tenant, st.compiled.entityId);
    const ok = this.buffer.add(
      { tenant: st.device.tenant, id: st.compiled.entityId, type: st.compiled.entityType, attrs: first ? { ...first, ...attrs } : attrs },
      { messages: 1, values },
      wait,
    );
    if (!ok) {
      this.stats.overload++;
      throw new OverloadError();
    }
    st.fresh = false;
    return true;
  }

  private touch(st: DeviceState, at: string): void {
    st.device.lastSeen = at;
    this.seen.set(key(st.device.tenant, st.device.doc.device_id), { tenant: st.device.tenant, deviceId: st.device.doc.device_id, at });
  }

  /** Writes autoprovisioned devices and lastSeen in batches (one statement each). */
  persist(): Promise<void> {
    this.persisting = this.persisting.then(async () => {
      const fresh = [...this.toPersist.values()];
      this.toPersist.clear();
      const seen = [...this.seen.values()];
      this.seen.clear();
      try {
        const groups = new Map<string, DeviceState[]>();
        for (const st of fresh) {
          const k = key(st.device.tenant, st.device.servicePath);
          const l = groups.get(k);
          if (l) l.push(st);
          else groups.set(k, [st]);
        }
        for (const states of groups.values()) {
          const { tenant, servicePath } = states[0].device;
          await this.store.insertDevices(this.db, tenant, servicePath, states.map((s) => s.device.doc));
        }
        for (let i = 0; i < seen.length; i += 5000) await this.store.touchDevices(this.db, seen.slice(i, i + 5000));
      } catch (err) {
        this.log.error({ err }, 'iot: could not record device registry changes');
      }
    });
    return this.persisting;
  }

  // ---- commands

  private markOwnWrite(tenant: string, entityId: string): void {
    this.ownWrites.set(key(tenant, entityId), Date.now());
  }

  /** Hub commits: a command attribute of a device's entity that changed is sent to the device. */
  onCommitted(tenant: string, changes: CommittedChange[]): void {
    for (const ch of changes) {
      if (ch.kind !== 'updated' || !ch.after) continue;
      const k = key(tenant, ch.after.id);
      const st = this.byEntity.get(k);
      if (!st || !st.compiled.commands.length) continue;
      const own = this.ownWrites.get(k);
      if (own !== undefined) {
        this.ownWrites.delete(k);
        if (Date.now() - own < 10_000) continue;
      }
      for (const c of st.compiled.commands) {
        const iri = this.expand(c.name);
        const a = ch.after.attrs[iri]?.find((i) => !i.datasetId);
        const b = ch.before?.attrs[iri]?.find((i) => !i.datasetId);
        if (a && (!b || a.modifiedAt !== b.modifiedAt)) {
          void this.dispatch(st, c.name, a.value ?? a.object ?? '').catch((err) => this.log.error({ err }, 'iot: command dispatch failed'));
        }
      }
    }
  }

  /** POST /api/iot/commands: sends a command without going through the hub attribute. */
  async sendCommand(tenant: string, deviceId: string, command: string, value: unknown): Promise<{ deviceId: string; entityId: string; command: string; status: string }> {
    const st = this.devices.get(key(tenant, deviceId));
    if (!st) throw IotErrors.unknownDevice.with(`No device ${deviceId} in tenant "${tenant}"`);
    if (!st.compiled.commands.some((c) => c.name === command)) {
      throw IotErrors.unknownCommand.with(`Device ${deviceId} has commands: ${st.compiled.commands.map((c) => c.name).join(', ') || 'none'}`);
    }
    const status = await this.dispatch(st, command, value ?? '');
    return { deviceId, entityId: st.compiled.entityId, command, status };
  }

  private apikeyOf(st: DeviceState): string | undefined {
    return st.device.doc.apikey ?? st.seenApikey ?? this.groupFor(st.device.tenant, st.device.doc)?.doc.apikey;
  }

  /** Publishes the command (MQTT) or pushes it (HTTP device with an endpoint); records its status. */
  private async dispatch(st: DeviceState, command: string, value: unknown): Promise<string> {
    const c = st.compiled;
    const setState = (status: string, info?: unknown) => {
      const attrs = info === undefined ? { [`${command}_status`]: commandState(command, status, '')[`${command}_status`] } : commandState(command, status, info);
      this.buffer.add({ tenant: c.tenant, id: c.entityId, type: c.entityType, attrs }, { messages: 0, values: 0 });
    };
    const payload = JSON.stringify({ [command]: value });
    if (c.transport === 'HTTP' && c.endpoint) {
      this.stats.commandsSent++;
      setState('PENDING');
      try {
        const res = await fetch(c.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        if (!res.ok) throw new Error(`device answered ${res.status}`);
        const answer = text ? parseJsonLoose(text) : {};
        const info = typeof answer === 'object' && answer !== null && command in answer ? (answer as Record<string, unknown>)[command] : answer;
        this.stats.commandResults++;
        setState('OK', info);
        return 'OK';
      } catch (err) {
        this.stats.commandsFailed++;
        setState('ERROR', (err as Error).message);
        return 'ERROR';
      }
    }
    const apikey = this.apikeyOf(st);
    if (!apikey || !this.publisher) {
      this.stats.commandsFailed++;
      setState('ERROR', apikey ? 'no MQTT connection' : 'no apikey known for this device');
      if (!apikey) throw IotErrors.noApikey.with(`Device ${c.deviceId} has no apikey and no config group`);
      return 'ERROR';
    }
    setState('PENDING');
    await this.publisher.publish(commandTopic(apikey, c.deviceId), payload);
    this.stats.commandsSent++;
    return 'PENDING';
  }

  /** `{"<command>": <result>}` from the device: status OK, info the result. */
  private commandResult(st: DeviceState, body: unknown): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new MeasureRejected('not-an-object', 'a command result must be a JSON object');
    const c = st.compiled;
    const attrs: Record<string, NgsiAttribute> = {};
    const now = this.opts.clock().toISOString();
    for (const [name, result] of Object.entries(body)) {
      if (!c.commands.some((x) => x.name === name)) throw new MeasureRejected('unknown-command', `device ${c.deviceId} has no command ${name.slice(0, 64)}`);
      Object.assign(attrs, commandState(name, 'OK', result, now));
    }
    this.touch(st, now);
    this.stats.commandResults++;
    if (!this.buffer.add({ tenant: c.tenant, id: c.entityId, type: c.entityType, attrs }, { messages: 0, values: 0 })) {
      this.stats.overload++;
    }
  }

  // ---- health and stats

  deviceHealth(tenant: string, opts: { silent?: boolean; limit: number; offset: number }): { total: number; devices: DeviceHealth[] } {
    const now = this.opts.clock().getTime();
    const all: DeviceHealth[] = [];
    for (const st of this.devices.values()) {
      if (st.device.tenant !== tenant) continue;
      const period = st.compiled.expectedPeriodS ?? this.opts.defaultExpectedPeriodS;
      const since = Date.parse(st.device.lastSeen ?? st.device.createdAt);
      const silent = now - since > period * 1000;
      if (opts.silent !== undefined && silent !== opts.silent) continue;
      all.push({
        deviceId: st.device.doc.device_id,
        entityId: st.compiled.entityId,
        entityType: st.compiled.entityType,
        transport: st.compiled.transport,
        lastSeen: st.device.lastSeen ?? null,
        expectedPeriodS: period,
        silent,
      });
    }
    all.sort((a, b) => (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0));
    return { total: all.length, devices: all.slice(opts.offset, opts.offset + opts.limit) };
  }

  snapshot(): IotStatsSnapshot & {
    buffer: { pendingEntities: number; flushingEntities: number };
    hubUpserts: { count: number; entities: number; avgMs: number; maxMs: number; lastMs: number };
    devices: number;
    groups: number;
  } {
    const u = this.upserts;
    const r = (x: number) => Math.round(x * 10) / 10;
    return {
      ...this.stats.snapshot(),
      buffer: { pendingEntities: this.buffer.size, flushingEntities: this.buffer.flushing },
      hubUpserts: { count: u.count, entities: u.entities, avgMs: u.count ? r(u.totalMs / u.count) : 0, maxMs: r(u.maxMs), lastMs: r(u.lastMs) },
      devices: this.devices.size,
      groups: this.groups.size,
    };
  }

  /** Waits until every buffered measure is in the hub (tests, shutdown). */
  drain(): Promise<void> {
    return this.buffer.drain();
  }

  // ---- hub

  private readonly upserts = { count: 0, entities: 0, totalMs: 0, maxMs: 0, lastMs: 0 };

  private async upsert(tenant: string, entities: BufferedEntity[]): Promise<FlushOutcome> {
    const body: NgsiEntity[] = entities.map((e) => ({ id: e.id, type: e.type, ...e.attrs }));
    const t0 = performance.now();
    const out = await this.hub.upsertEntities(tenant, body, 'update');
    const ms = performance.now() - t0;
    const u = this.upserts;
    u.count++;
    u.entities += entities.length;
    u.totalMs += ms;
    u.maxMs = Math.max(u.maxMs, ms);
    u.lastMs = ms;
    return { failed: out.errors.map((e) => ({ id: e.entityId, reason: e.error.detail ?? e.error.title ?? e.error.type })) };
  }
}

/** Thrown when the buffer is full; the drop is already counted. */
export class OverloadError extends Error {
  constructor() {
    super('the ingestion buffer is full');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MeasureRejected('malformed-json', 'the payload is not JSON');
  }
}

function parseJsonLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A single-attribute payload is the raw value: JSON when it parses (`23`, `true`), else the text. */
function rawValue(text: string): unknown {
  const t = text.trim();
  if (t === '') return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

/** A measures payload is an object, or an array of objects (several measure sets at once). */
function measureSets(body: unknown): unknown[] {
  if (Array.isArray(body)) {
    if (!body.length) throw new MeasureRejected('not-an-object', 'an empty array of measures');
    return body;
  }
  return [body];
}

/**
 * The IoT agent: speaks the FIWARE IoT Agent JSON provisioning API and topics, so devices and the tools
 * that provision them switch to Madina unchanged; measures become NGSI-LD updates in the hub.
 * Wires the registry store, the agent, its routes (/iot, /api/iot) and MQTT (embedded aedes or MQTT_URL).
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../platform/config.ts';
import type { Db } from '../platform/db/db.ts';
import { migrationsIn } from '../platform/db/migrator.ts';
import type { Logger } from '../platform/log.ts';
import { HubClient } from '../hub/client/hub-client.ts';
import { inProcessTransport } from '../hub/client/transports.ts';
import type { Hub } from '../hub/index.ts';
import { IotAgent } from './agent.ts';
import { DEFAULT_BUFFER_OPTIONS } from './ingest-buffer.ts';
import { iotApiRoutes } from './http/api-routes.ts';
import { iotaRoutes } from './http/iota-routes.ts';
import { connectAgent, startEmbeddedBroker, type AgentLink, type EmbeddedBroker } from './mqtt.ts';
import { IotStore } from './store.ts';
import { requireRole } from '../platform/auth/plugin.ts';

export { IotAgent } from './agent.ts';
export type { DeviceDoc, GroupDoc } from './model.ts';

export const iotMigrations = () => migrationsIn('iot', new URL('./migrations/', import.meta.url));

export interface Iot {
  agent: IotAgent;
  /** Starts the embedded broker (unless MQTT_URL is set) and connects the agent; returns the broker URL used (undefined if the embedded broker could not listen). */
  startMqtt(): Promise<string | undefined>;
  /** Stops MQTT, flushes buffered measures to the hub, stops the broker. */
  close(): Promise<void>;
}

export async function createIot(app: FastifyInstance, db: Db, hub: Hub, config: Config, log: Logger): Promise<Iot> {
  const core = await hub.contexts.mapper(undefined);
  const agent = new IotAgent(db, new IotStore(), new HubClient(inProcessTransport(app)), (term) => core.expand(term), log, {
    maxPayloadBytes: config.iotMaxPayloadBytes,
    defaultExpectedPeriodS: config.iotExpectedPeriodS,
    buffer: { ...DEFAULT_BUFFER_OPTIONS, maxEntities: config.iotBufferMaxEntities },
  });
  await agent.start();
  hub.entities.onCommitted((tenant, changes) => agent.onCommitted(tenant, changes));
  // Same policy as the hub (MADINA_HUB_AUTH): open, writes need an operator, or everything does.
  const policy = config.hubAuth ?? 'open';
  const operator = [requireRole('operator')];
  const guards = { read: policy === 'all' ? operator : [], write: policy === 'open' ? [] : operator };
  await app.register(async (scope) => iotaRoutes(scope, agent, { port: () => config.port, maxPayloadBytes: config.iotMaxPayloadBytes, guards }), {
    prefix: '/iot',
  });
  await app.register(async (scope) => iotApiRoutes(scope, agent, guards), { prefix: '/api/iot' });

  let broker: EmbeddedBroker | undefined;
  let link: AgentLink | undefined;
  return {
    agent,
    async startMqtt() {
      let url = config.mqttUrl;
      if (!url) {
        try {
          broker = await startEmbeddedBroker(config.mqttPort, config.host, log);
        } catch (err) {
          // Serve HTTP anyway (provisioning, HTTP southbound); say clearly what to change.
          log.error(
            { err: (err as Error).message, port: config.mqttPort },
            'embedded MQTT broker could not listen: set MQTT_PORT to a free port, or MQTT_URL to use the broker already there; MQTT ingestion is off',
          );
          return undefined;
        }
        url = `mqtt://127.0.0.1:${broker.port}`;
        log.info({ port: broker.port }, 'embedded MQTT broker listening');
        link = await broker.attachAgent((topic, payload) => agent.handleMqtt(topic, payload));
      } else {
        link = await connectAgent(url, (topic, payload) => agent.handleMqtt(topic, payload), log);
      }
      agent.setPublisher(link);
      return url;
    },
    async close() {
      agent.setPublisher(undefined);
      await link?.close().catch((err) => log.warn({ err }, 'mqtt: close failed'));
      await agent.close();
      await broker?.close();
    },
  };
}

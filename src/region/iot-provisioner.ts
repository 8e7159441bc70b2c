/** The adapter between the seed and the IoT agent (src/iot): bulk, idempotent, entities written by the seed itself. */
import type { IotAgent } from '../iot/agent.ts';
import type { DeviceProvisioner } from './provisioning.ts';

export function agentProvisioner(agent: Pick<IotAgent, 'provisionGroup' | 'provisionDevices'>): DeviceProvisioner {
  return {
    async provisionGroups(tenant, groups) {
      for (const g of groups) await agent.provisionGroup(tenant, g);
    },
    async provisionDevices(tenant, devices) {
      // The seed writes complete entities (with scope) right after; the agent only registers the devices.
      await agent.provisionDevices(tenant, devices, { createEntities: false });
    },
  };
}

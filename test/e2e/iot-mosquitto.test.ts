/** Black box: the IoT agent against Mosquitto (MQTT_URL), as in CI and production. Unique apikeys keep tests apart. */
import { iotCases, iotServer } from './iot-cases.ts';

const MOSQUITTO = process.env.MADINA_TEST_MQTT_URL || 'mqtt://127.0.0.1:1883';

const ctx = iotServer(async () => ({ env: { MQTT_URL: MOSQUITTO }, mqttUrl: MOSQUITTO }));

iotCases(ctx);

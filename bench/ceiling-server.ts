/**
 * HTTP ceiling for the hub benchmark: a bare Fastify server answering GET /ping with a fixed JSON
 * document about the size of a rendered Streetlight entity. Run as its own process like Madina.
 * PORT and HOST as for Madina; prints "listening <port>" when ready.
 */
import Fastify from 'fastify';
import { streetlight } from './lib/streetlight.ts';

const app = Fastify({ logger: false });
// An object, not a string: Fastify serialises it on every request, as the hub does.
const doc = streetlight('bench1', 0, 42);
app.get('/ping', async () => doc);

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.stdout.write(`listening ${new URL(address).port}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

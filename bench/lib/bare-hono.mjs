// The baseline of the serving overhead benchmark: a bare Hono app on the same
// @hono/node-server as `mlx serve`, answering a fixed JSON body. It reads and parses the JSON
// request (any server has to), then returns BARE_HONO_BODY; no validation, model or metrics.
// Usage: BARE_HONO_BODY='{"predictions":…}' node bench/lib/bare-hono.mjs PORT /invocations
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const [portArg, route = '/invocations'] = process.argv.slice(2);
const body = JSON.parse(process.env.BARE_HONO_BODY ?? '{"ok":true}');

const app = new Hono();
app.post(route, async (c) => {
  await c.req.json();
  return c.json(body);
});
app.get('/health', (c) => c.json({ status: 'healthy' }));

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(portArg) });
// Same keep-alive as mlx's listen.ts, so neither side drops connections the other keeps.
server.keepAliveTimeout = 65_000;
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

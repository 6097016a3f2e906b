// The baseline of the serving overhead benchmark: a bare Hono app on the same
// @hono/node-server as `mlx serve`, answering a fixed JSON body. It reads and parses the JSON
// request (any server has to), then returns BARE_HONO_BODY; no validation, model or metrics.
// Usage: BARE_HONO_BODY='{"predictions":…}' node bench/lib/bare-hono.mjs PORT /invocations
// BARE_RAW_NODE=1 drops Hono too: plain node:http, the ceiling of any Node server here.
import http from 'node:http';
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

const text = JSON.stringify(body);
const rawNode = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'POST') JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(req.method === 'POST' ? text : '{"status":"healthy"}');
  });
};
const server =
  process.env.BARE_RAW_NODE === '1'
    ? http.createServer(rawNode).listen(Number(portArg), '127.0.0.1')
    : serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(portArg) });
// Same keep-alive as mlx's listen.ts, so neither side drops connections the other keeps.
server.keepAliveTimeout = 65_000;
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

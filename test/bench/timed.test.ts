/**
 * The benchmarks' read client: it sends the headers it is given, reuses its connections across a
 * closed loop, resolves on 200 and refuses anything else with the status and the start of the body.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closedLoop, getOk } from '../../bench/lib/timed.js';

let server: Server;
let url: string;
const connections = new Set<number>();
const authorizations: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    connections.add(req.socket.remotePort!);
    authorizations.push(req.headers.authorization);
    if (req.url === '/ok') res.end('{"fine":true}');
    else res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"detail":"no such thing"}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('reads 200s over as many kept-alive connections as loops, with the given headers', async () => {
  const latencies = await closedLoop(40, 2, () => getOk(`${url}/ok`, { authorization: 'Bearer k' }));
  expect(latencies).toHaveLength(40);
  expect(connections.size).toBe(2);
  expect(new Set(authorizations)).toEqual(new Set(['Bearer k']));
});

it('refuses an answer other than 200 with its status and body', async () => {
  await expect(getOk(`${url}/missing`, {})).rejects.toThrow(/→ 404 \{"detail":"no such thing"\}/);
});

import { Agent, get } from 'node:http';

/** Runs `count` calls from `concurrency` loops; the latency of each in milliseconds. */
export async function closedLoop(
  count: number,
  concurrency: number,
  call: (i: number) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await call(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

/**
 * Keep-alive connections for getOk, as a service or proxy in front of the gateway would hold them.
 * Not fetch: on this machine undici spends 0.25–0.44 ms of CPU per GET against 0.08–0.15 for
 * node:http, on the same two cores as the gateway it measures, which moved status reads' p99 by
 * several milliseconds (session 15).
 */
const agent = new Agent({ keepAlive: true });

/** GET that throws on anything but 200, with the start of the answer to say why. */
export function getOk(url: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode === 200) return resolve();
        const text = Buffer.concat(chunks).toString('utf8');
        reject(new Error(`GET ${url} → ${res.statusCode} ${text.slice(0, 300)}`));
      });
    }).on('error', reject);
  });
}

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

/** GET that throws on anything but 200, with the start of the answer to say why. */
export async function getOk(url: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} → ${res.status} ${text.slice(0, 300)}`);
}

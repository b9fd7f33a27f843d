/**
 * The benchmarks, the soak and the crash test measure the gateway as users run it: with the Node
 * flags `npm start` passes (the heap limit changes how V8 sizes the heap, so memory figures depend
 * on it).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../../bench/lib/gateway-process.js';

describe('the gateway process of the benchmarks and the reliability tests', () => {
  it('runs Node with the flags npm start passes', async () => {
    const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: { start: string } };
    const flags = /&& node (.*) gateway\/dist\/main\.js$/.exec(manifest.scripts.start)?.[1]?.split(' ');
    expect(flags).toEqual(GATEWAY_NODE_FLAGS);
  });
});

/**
 * The benchmarks, the soak and the crash test measure the gateway as users run it: with the Node
 * flags and the glibc arenas `npm start` sets (the heap limit changes how V8 sizes the heap, and the
 * arenas how much memory LevelDB's reader threads keep, so memory figures depend on both).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { GATEWAY_MALLOC_ARENA_MAX, GATEWAY_NODE_FLAGS } from '../../bench/lib/gateway-process.js';

describe('the gateway process of the benchmarks and the reliability tests', () => {
  it('runs Node with the flags and the arenas npm start sets', async () => {
    const manifest = JSON.parse(await readFile('package.json', 'utf8')) as { scripts: { start: string } };
    const [, arenas, flags] =
      /&& MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-(\d+)\} exec node (.*) gateway\/dist\/main\.js$/.exec(
        manifest.scripts.start,
      ) ?? [];
    expect(arenas).toBe(GATEWAY_MALLOC_ARENA_MAX);
    expect(flags?.split(' ')).toEqual(GATEWAY_NODE_FLAGS);
  });
});

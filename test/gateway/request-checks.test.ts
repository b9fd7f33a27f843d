import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../gateway/src/http/request-checks.js';

const arrays = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
const objects = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

describe('nesting depth of a parsed body', () => {
  it.each<[string, unknown, number, boolean]>([
    ['a number', 1, 1, false],
    ['null', null, 1, false],
    ['an empty object', {}, 1, false],
    ['an object in an object', { a: {} }, 1, true],
    ['arrays at the bound', arrays(MAX_JSON_DEPTH), MAX_JSON_DEPTH, false],
    ['arrays one past it', arrays(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    ['objects at the bound', objects(MAX_JSON_DEPTH), MAX_JSON_DEPTH, false],
    ['objects one past it', objects(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, true],
    ['deep in the last of many siblings', [...Array.from({ length: 1000 }, () => [1]), arrays(70)], 64, true],
    ['wide and shallow', { lines: Array.from({ length: 10_000 }, (_, i) => ({ i })) }, 3, false],
  ])('%s: deeper than %i levels is %s', (_name, value, max, deeper) =>
    expect(nestsDeeperThan(value, max)).toBe(deeper),
  );

  it('walks a body far deeper than the stack would take, without recursing', () =>
    expect(nestsDeeperThan(arrays(200_000), MAX_JSON_DEPTH)).toBe(true));
});

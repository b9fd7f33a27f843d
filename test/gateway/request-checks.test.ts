import { describe, expect, it } from 'vitest';
import {
  duplicateFieldProblem,
  jsonBodyProblem,
  MAX_JSON_DEPTH,
} from '../../gateway/src/http/request-checks.js';

const arrays = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
const objects = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
const arraysText = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const TOO_DEEP = `request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`;

describe('nesting depth of a parsed body', () => {
  it.each<[string, unknown, string | undefined]>([
    ['a number', 1, undefined],
    ['null', null, undefined],
    ['an empty object', {}, undefined],
    ['arrays at the bound', arrays(MAX_JSON_DEPTH), undefined],
    ['arrays one past it', arrays(MAX_JSON_DEPTH + 1), TOO_DEEP],
    ['objects at the bound', objects(MAX_JSON_DEPTH), undefined],
    ['objects one past it', objects(MAX_JSON_DEPTH + 1), TOO_DEEP],
    ['deep in the last of many siblings', [...Array.from({ length: 1000 }, () => [1]), arrays(70)], TOO_DEEP],
    ['wide and shallow', { lines: Array.from({ length: 10_000 }, (_, i) => ({ i })) }, undefined],
  ])('%s', (_name, value, problem) => expect(jsonBodyProblem(value)).toBe(problem));

  it('walks a body far deeper than the stack would take, without recursing', () =>
    expect(jsonBodyProblem(arrays(200_000))).toBe(TOO_DEEP));
});

describe('text and field names of a parsed body', () => {
  const parsed = (json: string): unknown => JSON.parse(json);

  it('takes any well-formed text, surrogate pairs (emoji, rare CJK) included', () => {
    expect(jsonBodyProblem(parsed('{"name":"Zoë \\ud83d\\ude00 𠀀","lines":[{"d":"ü"}]}'))).toBeUndefined();
  });

  it.each<[string, string, string]>([
    [
      'a lone high surrogate',
      '{"message":"lone \\ud800 here"}',
      '/body/message: the string holds a lone UTF-16 surrogate',
    ],
    [
      'a lone low surrogate, deep',
      '{"lines":[{"d":"x"},{"d":"\\udc00"}]}',
      '/body/lines/1/d: the string holds a lone UTF-16 surrogate',
    ],
    ['a pair the wrong way round', '["\\ude00\\ud83d"]', '/body/0: the string holds a lone UTF-16 surrogate'],
    ['a field name', '{"a":{"x\\ud800":1}}', '/body/a: a field name holds a lone UTF-16 surrogate'],
    [
      '__proto__ as a field name',
      '{"a/b":[{"__proto__":{"x":1}}]}',
      '/body/a~1b/0/__proto__: the field name __proto__ is not allowed',
    ],
  ])('refuses %s, naming where', (_name, json, problem) => {
    expect(jsonBodyProblem(parsed(json))).toMatch(new RegExp(`^${problem.replace(/[~/]/g, '\\$&')}`));
  });

  it('takes constructor and prototype as field names (the schemas refuse what they do not know)', () => {
    expect(jsonBodyProblem(parsed('{"constructor":1,"prototype":{"a":1}}'))).toBeUndefined();
  });
});

describe('field names of a JSON body', () => {
  it('takes each name once per object, the same name in other objects and names that differ only in case', () => {
    expect(duplicateFieldProblem('{"a":{"a":1},"b":[{"a":1},{"a":2}],"A":3}')).toBeUndefined();
  });

  it.each<[string, string, string]>([
    ['at the top', '{"a":1,"b":2,"a":3}', '/body/a'],
    ['in an array, spelt with an escape', '{"lines":[{"d":1},{"d":1,"\\u0064":2}]}', '/body/lines/1/d'],
    ['under names a pointer escapes', '{"a/b":{"c~d":1,"c~d":1}}', '/body/a~1b/c~0d'],
    ['the first of two', '{"x":{"y":1,"y":2},"x":3}', '/body/x/y'],
    ['deep in arrays of objects', '{"a":[[{"b":[{"c":1,"c":2}]}]]}', '/body/a/0/0/b/0/c'],
  ])('refuses a name given twice %s, naming where', (_name, json, pointer) => {
    expect(duplicateFieldProblem(json)).toBe(
      `${pointer}: the field is named twice in its object; send each field once`,
    );
  });

  // JSON.parse keeps the second value: the first may nest deeper than the parsed body, and a
  // recursive parser ran out of stack on it (a 500, before authentication).
  it('bounds the depth of a value JSON.parse dropped, without recursing', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const text = `{"a":${deep},"a":1}`;
    expect(jsonBodyProblem(JSON.parse(text))).toBeUndefined();
    expect(duplicateFieldProblem(text)).toBe(TOO_DEEP);
    expect(duplicateFieldProblem(`{"a":${arraysText(MAX_JSON_DEPTH - 1)},"a":1}`)).toBe(
      '/body/a: the field is named twice in its object; send each field once',
    );
  });
});

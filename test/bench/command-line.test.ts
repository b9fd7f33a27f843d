/**
 * The options of the benchmarks and the demo: each value is checked as it is read, and a bad one
 * is a usage error (exit 2, what is wrong, no stack trace), not a run with NaN or a crash.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  atMost,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
} from '../../scripts/lib/cli-arguments.js';

describe('argument parsers', () => {
  it.each([
    [positiveInt, '3', 3],
    [positiveNumber, '0.5', 0.5],
    [nonNegativeInt, '0', 0],
    [nonNegativeNumber, '0', 0],
    [nonNegativeNumber, '1.5', 1.5],
  ])('%o reads %s', (parse, text, value) => {
    expect(parse(text)).toBe(value);
  });

  it.each([
    [positiveInt, '0'],
    [positiveInt, '1.5'],
    [positiveInt, 'ten'],
    [positiveInt, ''],
    [positiveNumber, '0'],
    [positiveNumber, 'Infinity'],
    [nonNegativeInt, '-1'],
    [nonNegativeNumber, ''],
    [nonNegativeNumber, ' '],
    [nonNegativeNumber, '-0.1'],
  ])('%o refuses %j, naming it', (parse, text) => {
    expect(() => parse(text)).toThrow(InvalidArgumentError);
    expect(() => parse(text)).toThrow(`'${text}'`);
  });

  it('atMost passes a value up to its bound and refuses one above it', () => {
    expect(atMost(1000, 1000)).toBe(1000);
    expect(() => atMost(1000, 1001)).toThrow('1001 is more than 1000');
  });
});

describe('a script run with bad options', () => {
  const run = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('the demo says what is wrong and exits 2 before it connects to anything', async () => {
    const { code, stderr } = await run('scripts/demo.ts', ['--consignments', '0'], {
      GATEWAY_URL: 'http://127.0.0.1:9',
    });
    expect(code).toBe(2);
    expect(stderr).toContain(
      `option '--consignments <n>' argument '0' is invalid. '0' is not a positive integer`,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a benchmark refuses a bad value from the environment too', async () => {
    const { code, stderr } = await run('bench/customs.ts', [], { BENCH_N: 'many' });
    expect(code).toBe(2);
    expect(stderr).toContain(`value 'many' from env 'BENCH_N' is invalid`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('--help lists the options and exits 0', async () => {
    const { code, stdout } = await run('bench/http.ts', ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: bench:http \[options\]/);
    expect(stdout).toContain('--batch-size <n>');
  });
});

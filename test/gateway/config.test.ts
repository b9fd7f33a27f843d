import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../gateway/src/config.js';

describe('gateway configuration', () => {
  it('sizes the embedded ledger caches from LEDGER_CACHE_MB, or leaves the store its default', () => {
    expect(loadConfig({ LEDGER_CACHE_MB: '16' }).ledgerCacheBytes).toBe(16 * 1024 * 1024);
    expect(loadConfig({}).ledgerCacheBytes).toBeUndefined();
  });

  it('runs the embedded ledger on the gateway thread unless LEDGER_THREAD=worker', () => {
    expect(loadConfig({}).ledgerThread).toBe('main');
    expect(loadConfig({ LEDGER_THREAD: 'worker' }).ledgerThread).toBe('worker');
    expect(() => loadConfig({ LEDGER_THREAD: 'thread' })).toThrow(/LEDGER_THREAD/);
  });

  it('makes the demo users unless DEMO_USERS=off', () => {
    expect(loadConfig({}).demoUsers).toBe(true);
    expect(loadConfig({ DEMO_USERS: 'off' }).demoUsers).toBe(false);
    expect(() => loadConfig({ DEMO_USERS: 'no' })).toThrow(/DEMO_USERS/);
  });

  it('believes no X-Forwarded-For unless TRUST_PROXY names the proxies or counts their hops', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8,192.0.2.7' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.7',
    ]);
    for (const wrong of [
      'everyone',
      '10.0.0.0/33',
      '10.0.0/8',
      'true',
      '0',
      '::1/129',
      '1.2.3.4/8/8',
      '0.0.0.0/0',
      '::/0',
    ]) {
      expect(() => loadConfig({ TRUST_PROXY: wrong }), wrong).toThrow(/TRUST_PROXY/);
    }
  });

  it('lets a user hold 16 event streams open unless EVENT_STREAMS_PER_USER says otherwise', () => {
    expect(loadConfig({}).eventStreamsPerUser).toBe(16);
    expect(loadConfig({ EVENT_STREAMS_PER_USER: '4' }).eventStreamsPerUser).toBe(4);
    for (const wrong of ['0', '-1', '2.5', 'many']) {
      expect(() => loadConfig({ EVENT_STREAMS_PER_USER: wrong }), wrong).toThrow(/EVENT_STREAMS_PER_USER/);
    }
  });

  it('takes a METRICS_TOKEN that is a long bearer token, or leaves it to the data directory', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    const token = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Cg==';
    expect(loadConfig({ METRICS_TOKEN: token }).metricsToken).toBe(token);
    for (const wrong of ['', 'short', `${'a'.repeat(40)} b`, `${'a'.repeat(40)}\n`, `${'a'.repeat(40)}=a`]) {
      expect(() => loadConfig({ METRICS_TOKEN: wrong }), JSON.stringify(wrong)).toThrow(
        /^invalid configuration: METRICS_TOKEN: at least 32 characters/,
      );
    }
  });

  it('refuses a setting out of range, naming it', () => {
    expect(() => loadConfig({ LEDGER_CACHE_MB: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ LEDGER_CACHE_MB: 'lots' })).toThrow(/LEDGER_CACHE_MB/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    // Every write would be too large.
    for (const size of ['0b', '1023b', '0kb']) {
      expect(() => loadConfig({ BODY_LIMIT: size }), size).toThrow(
        'invalid configuration: BODY_LIMIT: at least 1kb: most writes of the API need more',
      );
    }
    // One message, the one that applies.
    expect(() => loadConfig({ BODY_LIMIT: '1gb' })).toThrow(
      /^invalid configuration: BODY_LIMIT: a size such as 256kb or 1mb$/,
    );
    expect(
      ['1024b', '1kb', '256kb', '1mb'].map((size) => loadConfig({ BODY_LIMIT: size }).bodyLimit),
    ).toEqual(['1024b', '1kb', '256kb', '1mb']);
  });

  it('says what a whole-number setting takes, and what it was given', () => {
    expect(loadConfig({ PORT: ' 8081 ' }).port).toBe(8081);
    const refusal = (env: Record<string, string>) => () => loadConfig(env);
    expect(refusal({ PORT: 'abc' })).toThrow(
      'invalid configuration: PORT: a whole number from 0 to 65535, not "abc"',
    );
    expect(refusal({ PORT: '70000' })).toThrow('PORT: a whole number from 0 to 65535, not 70000');
    for (const wrong of ['', '2.5', '1e3', '-1']) {
      expect(refusal({ RATE_LIMIT_PER_MINUTE: wrong }), wrong).toThrow(
        `RATE_LIMIT_PER_MINUTE: a whole number of at least 1, not ${JSON.stringify(wrong)}`,
      );
    }
    expect(refusal({ RATE_LIMIT_PER_MINUTE: '0' })).toThrow('a whole number of at least 1, not 0');
  });
});

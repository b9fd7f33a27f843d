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

  it('refuses a setting out of range, naming it', () => {
    expect(() => loadConfig({ LEDGER_CACHE_MB: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ LEDGER_CACHE_MB: 'lots' })).toThrow(/LEDGER_CACHE_MB/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });
});

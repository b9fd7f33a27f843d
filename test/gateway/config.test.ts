import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../gateway/src/config.js';

describe('gateway configuration', () => {
  it('sizes the embedded ledger caches from LEDGER_CACHE_MB, or leaves the store its default', () => {
    expect(loadConfig({ LEDGER_CACHE_MB: '16' }).ledgerCacheBytes).toBe(16 * 1024 * 1024);
    expect(loadConfig({}).ledgerCacheBytes).toBeUndefined();
  });

  it('refuses a setting out of range, naming it', () => {
    expect(() => loadConfig({ LEDGER_CACHE_MB: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ LEDGER_CACHE_MB: 'lots' })).toThrow(/LEDGER_CACHE_MB/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });
});

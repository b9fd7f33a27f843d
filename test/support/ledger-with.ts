import type { LedgerPort } from '../../gateway/src/ledger/port.js';

/**
 * The ledger port with some of its methods replaced, as a test makes a peer fail or lag; everything
 * else is the ledger itself. A replacement passes a call through by calling the ledger's own method.
 */
export function ledgerWith(ledger: LedgerPort, replacements: Partial<LedgerPort>): LedgerPort {
  return new Proxy(ledger, {
    get: (target, name, receiver) => {
      if (Object.hasOwn(replacements, name)) return replacements[name as keyof LedgerPort];
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

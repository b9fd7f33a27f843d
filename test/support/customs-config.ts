import { randomBytes } from 'node:crypto';
import { DEFAULT_RULE_SET, DEFAULT_TARIFF_SET, type RuleSet } from '@customs-ledger/chaincode';
import type { TestNetwork } from './network.js';

/**
 * The demo rule set under `version`, selecting nothing at random, so that the lanes a test expects
 * follow from its data. `allAmber` puts every parcel in the amber lane: customs' automatic
 * pipeline (which follows the events asynchronously) then releases none, only an officer does.
 */
export function testRuleSet(version: string, { allAmber = false } = {}): RuleSet {
  return {
    ...DEFAULT_RULE_SET,
    version,
    randomSelectionRate: 0,
    ...(allAmber ? { thresholds: { amber: 0, red: 1000 } } : {}),
  };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Customs' configuration on a test network: `ruleSet` (with a fresh secret) and the demo tariffs. */
export async function configureCustoms(net: TestNetwork, ruleSet: RuleSet): Promise<void> {
  await net.submit('customs', 'customs:putRuleSet', [], undefined, {
    transientData: { ruleSet: json(ruleSet), secret: Buffer.from(randomBytes(32).toString('hex')) },
  });
  await net.submit('customs', 'customs:putTariffs', [], undefined, {
    transientData: { tariffs: json(DEFAULT_TARIFF_SET) },
  });
}

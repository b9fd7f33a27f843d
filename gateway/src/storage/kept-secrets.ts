import { createHmac, randomBytes } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { metricsTokenFile } from '../auth/metrics-token.js';
import {
  ConfigError,
  isMetricsToken,
  isPartyIdKey,
  METRICS_TOKEN_RULE,
  PARTY_ID_KEY_RULE,
  type GatewayConfig,
} from '../config.js';
import { writeFileAtomic } from './atomic-file.js';
import type { GatewayStore } from './gateway-store.js';

/*
 * The secrets a data directory keeps for its gateway across restarts: the metrics token and the
 * party-id key, each generated on first start unless set in the environment.
 */

/**
 * The metrics token generated on first start, kept so that a scraper's configuration outlives
 * restarts. An operator may write the file (a mounted secret): what it holds must be a token.
 */
export function storedMetricsToken(dataDir: string): Promise<string> {
  return persistentSecret(metricsTokenFile(dataDir), (token) =>
    isMetricsToken(token)
      ? undefined
      : `does not hold a metrics token (${METRICS_TOKEN_RULE}): correct it, delete it for a new one, or set METRICS_TOKEN`,
  );
}

/**
 * The key of the party ids (HMAC of a person's document): PARTY_ID_KEY, else the one generated on
 * first start. The ids on the ledger were made with it, so it is checked against the fingerprint
 * of the key in force at the data directory's first start: a PARTY_ID_KEY set, changed or unset
 * later, or a key file replaced or lost, would otherwise give every person registered before a
 * second id, splitting their buyer limits, watch-list notes and erasures, with nothing to show it.
 */
export async function partyIdKeyInForce(
  config: GatewayConfig,
  store: GatewayStore,
  servedBefore: boolean,
): Promise<string> {
  const kept = store.sublevel<string, string>('party-id-key', { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const first = await kept
    .get(KEY_IN_FORCE)
    .then((text) => (text === undefined ? undefined : (JSON.parse(text) as KeyInForce)));
  const file = partyIdKeyFile(config.dataDir);
  const fileExists = await access(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  );
  const fromFirst = first?.from === 'file' ? `${file} held` : 'PARTY_ID_KEY held';
  if (config.partyIdKey === undefined && !fileExists && (first !== undefined || servedBefore)) {
    // Not a new data directory: a new key would give everyone registered before a second id.
    throw new ConfigError(
      first?.from === 'environment'
        ? 'PARTY_ID_KEY is not set, and the party ids on the ledger were made with the key it held: set it again'
        : `${file} is missing, and the party ids on the ledger were made with ${first ? 'the key it held' : 'a key (this data directory has served requests)'}: restore it from a copy, or set PARTY_ID_KEY to that key`,
    );
  }
  const key = config.partyIdKey ?? (await storedPartyIdKey(file));
  const inForce: KeyInForce = {
    fingerprint: fingerprintOf(key),
    from: config.partyIdKey === undefined ? 'file' : 'environment',
  };
  if (first === undefined) {
    await store.batch([{ type: 'put', key: KEY_IN_FORCE, value: JSON.stringify(inForce), sublevel: kept }], {
      sync: true,
    });
  } else if (inForce.fingerprint !== first.fingerprint) {
    const fileHoldsIt =
      config.partyIdKey !== undefined &&
      fileExists &&
      fingerprintOf(await storedPartyIdKey(file)) === first.fingerprint;
    throw new ConfigError(
      config.partyIdKey === undefined
        ? `${file} does not hold the key the party ids on the ledger were made with (the one ${fromFirst}): restore it from a copy, or set PARTY_ID_KEY to that key`
        : fileHoldsIt
          ? `PARTY_ID_KEY is not the key the party ids on the ledger were made with, which ${file} holds: unset it, or set it to that key`
          : `PARTY_ID_KEY is not the key the party ids on the ledger were made with (the one ${fromFirst}): set it to that key`,
    );
  }
  return key;
}

/** The fingerprint of the key in force at a data directory's first start, and where it came from. */
interface KeyInForce {
  readonly fingerprint: string;
  readonly from: 'file' | 'environment';
}
const KEY_IN_FORCE = 'first-in-force';
/** Shows whether two keys are the same without showing either. */
const fingerprintOf = (key: string): string =>
  createHmac('sha256', key).update('party-id key fingerprint').digest('hex');
const partyIdKeyFile = (dataDir: string): string => join(dataDir, 'gateway', 'party-id.key');

/**
 * The key of the party ids generated on first start. The ids on the ledger were made with it, so a
 * key that is not there as written is never replaced silently.
 */
function storedPartyIdKey(file: string): Promise<string> {
  return persistentSecret(file, (key) =>
    isPartyIdKey(key)
      ? undefined
      : `does not hold a party-id key (${PARTY_ID_KEY_RULE}): restore it from a copy (the party ids on the ledger were made with it), or set PARTY_ID_KEY to it; only if no party was ever registered through this gateway, delete it for a new one`,
  );
}

/**
 * A random secret generated on first start and kept (mode 0600): the same after a restart. Written
 * whole or not at all, so that a crash during the first start cannot leave it empty; one read back
 * must pass `invalid` (which says what is wrong with it), or the gateway does not start.
 */
async function persistentSecret(
  path: string,
  invalid: (secret: string) => string | undefined,
): Promise<string> {
  let secret: string;
  try {
    secret = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    secret = randomBytes(32).toString('base64url');
    await writeFileAtomic(path, `${secret}\n`, 0o600);
    return secret;
  }
  const problem = invalid(secret);
  if (problem !== undefined) throw new ConfigError(`${path} ${problem}`);
  return secret;
}

/* global process, console, setTimeout */
/**
 * Readiness probe (FABRIC.md step 9): cross-organisation discovery can lag the chaincode commit, so
 * the network is ready only when every organisation's own peer, through its Fabric Gateway service,
 * (1) evaluates a transaction and (2) gets endorsements from itself together with each other
 * organisation, the pairing every (trader, customs) private-data transaction needs. Proposals are
 * endorsed and never submitted: nothing is written.
 *
 * Usage: node network/lib/probe.mjs <network/organizations/gateway/network.json> [timeoutSeconds]
 * Uses the connection profiles the gateway's Fabric adapter reads, so it checks them as well.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';

const EVALUATE_FUNCTION = 'org:listOrganisations';
const [networkPath, timeoutArg] = process.argv.slice(2);
if (!networkPath) {
  console.error('usage: node network/lib/probe.mjs <network.json> [timeoutSeconds]');
  process.exit(2);
}
const timeoutMs = Number(timeoutArg ?? 120) * 1000;
const network = JSON.parse(readFileSync(networkPath, 'utf8'));
// <MSPID>.json next to network.json, as the gateway's Fabric adapter reads them.
const orgs = network.organisations.map((o) =>
  JSON.parse(readFileSync(join(dirname(networkPath), `${o.mspId}.json`), 'utf8')),
);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const deadline = (ms) => () => ({ deadline: Date.now() + ms });

function open(profile) {
  const [, user] = Object.entries(profile.users)[0] ?? [];
  if (!user) throw new Error(`${profile.mspId}: the connection profile lists no users`);
  const client = new grpc.Client(
    profile.peerEndpoint,
    grpc.credentials.createSsl(readFileSync(profile.tlsRootCert)),
    { 'grpc.ssl_target_name_override': profile.peerHostAlias },
  );
  const gateway = connect({
    client,
    identity: { mspId: profile.mspId, credentials: readFileSync(user.certPath) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(user.keyPath))),
    evaluateOptions: deadline(5_000),
    endorseOptions: deadline(15_000),
    submitOptions: deadline(5_000),
    commitStatusOptions: deadline(60_000),
  });
  const contract = gateway.getNetwork(network.channel).getContract(network.chaincode);
  return { client, gateway, contract };
}

function reason(error) {
  const details = (error?.details ?? []).map((d) => `${d.mspId ?? d.address}: ${d.message}`).join('; ');
  return details ? `${error.message} (${details})` : String(error?.message ?? error);
}

/** Checks still failing for one organisation's gateway; an empty list means it is ready. */
async function failures(org, connection) {
  const failed = [];
  try {
    await connection.contract.evaluateTransaction(EVALUATE_FUNCTION);
  } catch (e) {
    return [`evaluate via ${org.mspId}: ${reason(e)}`];
  }
  for (const other of orgs) {
    if (other.mspId === org.mspId) continue;
    try {
      await connection.contract
        .newProposal(EVALUATE_FUNCTION, { endorsingOrganizations: [org.mspId, other.mspId] })
        .endorse();
    } catch (e) {
      failed.push(`endorse via ${org.mspId} with ${other.mspId}: ${reason(e)}`);
    }
  }
  return failed;
}

const started = Date.now();
const connections = new Map();
for (const org of orgs) {
  try {
    connections.set(org.mspId, open(org));
  } catch (e) {
    console.error(`cannot use the connection profile of ${org.mspId}: ${e.message}`);
    process.exit(1);
  }
}
const pending = new Set(orgs.map((o) => o.mspId));
let last = [];
try {
  while (pending.size > 0) {
    last = [];
    for (const org of orgs.filter((o) => pending.has(o.mspId))) {
      const failed = await failures(org, connections.get(org.mspId));
      if (failed.length === 0) {
        pending.delete(org.mspId);
        console.log(`ready: ${org.mspId} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      } else {
        last.push(...failed);
      }
    }
    if (pending.size === 0) break;
    if (Date.now() - started > timeoutMs) {
      console.error(`not ready after ${timeoutMs / 1000} s: ${[...pending].join(', ')}`);
      for (const line of last) console.error(`  ${line}`);
      process.exitCode = 1;
      break;
    }
    await sleep(1_000);
  }
} finally {
  for (const { gateway, client } of connections.values()) {
    gateway.close();
    client.close();
  }
}

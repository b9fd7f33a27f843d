import { Client, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  CommitError as FabricCommitError,
  CommitStatusError as FabricCommitStatusError,
  EndorseError as FabricEndorseError,
  GatewayError as FabricGatewayError,
  type ErrorDetail as FabricErrorDetail,
} from '@hyperledger/fabric-gateway';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { problemFromLedgerError } from '../../gateway/src/http/ledger-errors.js';
import { FileCheckpoint } from '../../gateway/src/ledger/fabric/checkpoint.js';
import {
  ConnectionProfileError,
  loadConnectionProfiles,
  loadOrgProfile,
} from '../../gateway/src/ledger/fabric/connection-profile.js';
import { toLedgerError } from '../../gateway/src/ledger/fabric/errors.js';
import { FabricLedger, type FabricLedgerOptions } from '../../gateway/src/ledger/fabric/fabric-ledger.js';
import {
  loadUserIdentity,
  profileUserFor,
  ProfileIdentityProvider,
} from '../../gateway/src/ledger/fabric/identities.js';
import { LedgerClient } from '../../gateway/src/services/ledger-client.js';
import type { Principal } from '../../gateway/src/auth/principal.js';
import {
  chaincodeMessage,
  CommitError,
  EndorseError,
  GatewayError,
  isRetryableConflict,
  OutcomeUnknownError,
  type ChaincodeEvent,
  type ClientIdentity,
} from '../../gateway/src/ledger/port.js';
import {
  FakeFailure,
  FakeGatewayPeer,
  failStream,
  sendBlockEvents,
  type EventsStream,
} from '../fabric/support/fake-peer.js';
import { createTestPki, writeTestProfiles, type TestPki } from '../fabric/support/pki.js';

const TX = 'a'.repeat(64);
const MSP = 'PlatformAMSP';
/** A gateway principal whose profile user is the fake peer's profile's 'operator'. */
const principal: Principal = {
  user: 'platforma-operator',
  mspId: MSP,
  orgRole: 'platform',
  role: 'operator',
  authMethod: 'api-key',
};

/** A ServiceError as @grpc/grpc-js builds it for a failed call: message `<code> <NAME>: <details>`. */
function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

/** The error fabric-gateway throws for a failed call: as its newGatewayError, then its wrapper class. */
function fabricErrorProps(code: status, details: string, endorsers: FabricErrorDetail[]) {
  const cause = serviceError(code, details);
  return { code, details: endorsers, cause, message: cause.message };
}

describe('fabric-gateway errors as the port errors', () => {
  it('maps an EndorseError with the chaincode refusal in its details, keeping code, message and transaction id', () => {
    const original = new FabricEndorseError({
      ...fabricErrorProps(
        status.ABORTED,
        'failed to endorse transaction, see attached details for more info',
        [
          {
            address: '127.0.0.1:7051',
            mspId: MSP,
            message: 'chaincode response 500, consignment CN-1 already exists',
          },
        ],
      ),
      transactionId: TX,
    });
    const mapped = toLedgerError(original);
    expect(mapped).toBeInstanceOf(EndorseError);
    expect(mapped).toBeInstanceOf(GatewayError);
    const error = mapped as EndorseError;
    expect(error.code).toBe(10);
    expect(error.message).toBe(
      '10 ABORTED: failed to endorse transaction, see attached details for more info',
    );
    expect(error.details).toEqual([
      {
        address: '127.0.0.1:7051',
        mspId: MSP,
        message: 'chaincode response 500, consignment CN-1 already exists',
      },
    ]);
    expect(error.transactionId).toBe(TX);
    expect(error.cause).toBe(original);
    expect(chaincodeMessage(error)).toBe('consignment CN-1 already exists');
    expect(problemFromLedgerError(error)?.status).toBe(409);
  });

  it('maps an EndorseError with one detail per failing endorser', () => {
    const endorsers = [
      { address: '127.0.0.1:7051', mspId: MSP, message: 'chaincode response 500, nope' },
      { address: '127.0.0.1:7059', mspId: 'CustomsMSP', message: 'ProposalResponsePayloads do not match' },
    ];
    const error = toLedgerError(
      new FabricEndorseError({
        ...fabricErrorProps(
          status.ABORTED,
          'failed to collect enough transaction endorsements, see attached details for more info',
          endorsers,
        ),
        transactionId: TX,
      }),
    ) as EndorseError;
    expect(error.details).toEqual(endorsers);
    expect(error.message).toBe(
      '10 ABORTED: failed to collect enough transaction endorsements, see attached details for more info',
    );
  });

  it('maps an evaluate GatewayError (code 2) and keeps the chaincode message reachable', () => {
    const error = toLedgerError(
      new FabricGatewayError(
        fabricErrorProps(
          status.UNKNOWN,
          'evaluate call to endorser returned error: chaincode response 500, consignment CN-9 does not exist',
          [
            {
              address: '127.0.0.1:7051',
              mspId: MSP,
              message: 'chaincode response 500, consignment CN-9 does not exist',
            },
          ],
        ),
      ),
    );
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).not.toBeInstanceOf(EndorseError);
    const e = error as GatewayError;
    expect(e.code).toBe(2);
    expect(e.message).toBe(
      '2 UNKNOWN: evaluate call to endorser returned error: chaincode response 500, consignment CN-9 does not exist',
    );
    expect(chaincodeMessage(e)).toBe('consignment CN-9 does not exist');
    expect(problemFromLedgerError(e)?.status).toBe(404);
  });

  it('maps FAILED_PRECONDITION and UNAVAILABLE endorsement failures to 503-class port errors', () => {
    const precondition = toLedgerError(
      new FabricEndorseError({
        ...fabricErrorProps(
          status.FAILED_PRECONDITION,
          'requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [PlatformAMSP-CustomsMSP]; retry specifying trusted endorsing organizations to protect transient data',
          [],
        ),
        transactionId: TX,
      }),
    ) as EndorseError;
    expect(precondition).toBeInstanceOf(EndorseError);
    expect(precondition.code).toBe(9);
    expect(precondition.message).toMatch(/^9 FAILED_PRECONDITION: requires endorsement from organisation/);
    const down = toLedgerError(
      new FabricEndorseError({
        ...fabricErrorProps(
          status.UNAVAILABLE,
          'failed to find any endorsing peers for org(s): CustomsMSP',
          [],
        ),
        transactionId: TX,
      }),
    ) as EndorseError;
    expect(down.code).toBe(14);
    expect(down.message).toBe('14 UNAVAILABLE: failed to find any endorsing peers for org(s): CustomsMSP');
    expect(problemFromLedgerError(down)?.status).toBe(503);
  });

  it("keeps Fabric's message for a gRPC code the port has no name for", () => {
    const error = toLedgerError(
      new FabricGatewayError(fabricErrorProps(status.PERMISSION_DENIED, 'access denied', [])),
    ) as GatewayError;
    expect(error.code).toBe(7);
    expect(error.message).toBe('7 PERMISSION_DENIED: access denied');
  });

  it('maps a CommitStatusError to a GatewayError with the transaction id', () => {
    const error = toLedgerError(
      new FabricCommitStatusError({
        ...fabricErrorProps(status.DEADLINE_EXCEEDED, 'Deadline exceeded after 60.001s', []),
        transactionId: TX,
      }),
    ) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe(4);
    expect(error.transactionId).toBe(TX);
    expect(error.message).toBe('4 DEADLINE_EXCEEDED: Deadline exceeded after 60.001s');
  });

  it('maps a CommitError to the port CommitError with the TxValidationCode', () => {
    for (const [code, name] of [
      [10, 'ENDORSEMENT_POLICY_FAILURE'],
      [11, 'MVCC_READ_CONFLICT'],
      [12, 'PHANTOM_READ_CONFLICT'],
    ] as const) {
      const message = `Transaction ${TX} failed to commit with status code ${code} (${name})`;
      const error = toLedgerError(new FabricCommitError({ code, transactionId: TX, message })) as CommitError;
      expect(error).toBeInstanceOf(CommitError);
      expect(error.code).toBe(code);
      expect(error.transactionId).toBe(TX);
      expect(error.message).toBe(message);
      expect(isRetryableConflict(error)).toBe(code !== 10);
    }
  });

  it('maps a bare gRPC ServiceError and leaves other errors alone', () => {
    const mapped = toLedgerError(
      serviceError(status.UNAVAILABLE, 'No connection established'),
    ) as GatewayError;
    expect(mapped).toBeInstanceOf(GatewayError);
    expect(mapped.code).toBe(14);
    expect(mapped.message).toBe('14 UNAVAILABLE: No connection established');
    const plain = new TypeError('bug');
    expect(toLedgerError(plain)).toBe(plain);
    const already = new EndorseError(10, 'x');
    expect(toLedgerError(already)).toBe(already);
  });
});

// ---------------------------------------------------------------- profiles

let pki: TestPki;
const dirs: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fabric-adapter-'));
  dirs.push(dir);
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rewriteJson(file: string, change: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  change(json);
  await writeFile(file, JSON.stringify(json));
}

async function expectProfileError(
  promise: Promise<unknown>,
  file: string,
  field: string | undefined,
  problem: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectionProfileError);
  const e = error as ConnectionProfileError;
  expect(e.file).toBe(file);
  expect(e.field).toBe(field);
  expect(e.message).toMatch(problem);
  expect(e.message.startsWith(field ? `${file}: ${field}: ` : `${file}: `)).toBe(true);
}

beforeAll(async () => {
  pki = await createTestPki();
});

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('connection profiles', () => {
  it('loads network.json and <MSPID>.json, resolving paths against the profile folder', async () => {
    const dir = await tempDir();
    await writeTestProfiles(dir, pki, {
      mspId: MSP,
      peerEndpoint: '127.0.0.1:7051',
      roles: ['operator', 'admin'],
    });
    const profiles = await loadConnectionProfiles(dir);
    expect(profiles.network).toMatchObject({ channel: 'customs', chaincode: 'customs' });
    const org = profiles.organisations.get(MSP)!;
    expect(org.peerEndpoint).toBe('127.0.0.1:7051');
    expect(org.hostAlias).toBe('localhost');
    expect(org.tlsRootCert.toString()).toBe(pki.caPem);
    expect(org.users.operator).toEqual({
      certPath: join(dir, 'crypto', 'user-cert.pem'),
      keyPath: join(dir, 'crypto', 'priv_sk'),
    });
    const identity = await loadUserIdentity(org, 'operator');
    expect(identity.mspId).toBe(MSP);
    expect(identity.certificate).toBe(pki.userCertPem);
  });

  it('names the file when network.json is missing or not JSON', async () => {
    const dir = await tempDir();
    const file = join(dir, 'network.json');
    await expectProfileError(loadConnectionProfiles(dir), file, undefined, /file not found$/);
    await writeFile(file, '{ not json');
    await expectProfileError(loadConnectionProfiles(dir), file, undefined, /is not JSON/);
  });

  it('names the field that is missing or malformed', async () => {
    const dir = await tempDir();
    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    const network = join(dir, 'network.json');
    const org = join(dir, `${MSP}.json`);

    await rewriteJson(network, (j) => delete j.channel);
    await expectProfileError(loadConnectionProfiles(dir), network, 'channel', /expected string/);

    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await rewriteJson(network, (j) => (j.organisations = [{ mspId: MSP, peerEndpoint: 7051 }]));
    await expectProfileError(loadConnectionProfiles(dir), network, 'organisations.0.peerEndpoint', /string/);

    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await rewriteJson(org, (j) => (j.peerEndpoint = 'peer0 without port'));
    await expectProfileError(loadOrgProfile(dir, MSP), org, 'peerEndpoint', /host:port/);

    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await rewriteJson(org, (j) => (j.tlsRootCert = 'crypto/missing.pem'));
    await expectProfileError(
      loadOrgProfile(dir, MSP),
      org,
      'tlsRootCert',
      /file not found: .*crypto\/missing\.pem/,
    );

    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await rewriteJson(org, (j) => (j.users = { client: { certPath: 'crypto/user-cert.pem' } }));
    await expectProfileError(loadOrgProfile(dir, MSP), org, 'users.client.keyPath', /expected string/);

    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await rewriteJson(org, (j) => (j.users = {}));
    await expectProfileError(loadOrgProfile(dir, MSP), org, 'users', /at least one user/);

    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await rewriteJson(org, (j) => (j.mspId = 'CustomsMSP'));
    await expectProfileError(loadOrgProfile(dir, MSP), org, 'mspId', /named for PlatformAMSP/);
  });

  it('refuses a key that is not the certificate’s, naming the key field', async () => {
    const dir = await tempDir();
    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await writeFile(join(dir, 'crypto', 'priv_sk'), pki.serverKeyPem);
    const org = await loadOrgProfile(dir, MSP);
    await expectProfileError(
      loadUserIdentity(org, 'client'),
      org.file,
      'users.client.keyPath',
      /is not the key of/,
    );
    await expectProfileError(loadUserIdentity(org, 'auditor'), org.file, 'users.auditor', /no such user/);
  });

  it('gives principals the profile user of their role, governance falling back to admin', async () => {
    const dir = await tempDir();
    await writeTestProfiles(dir, pki, {
      mspId: MSP,
      peerEndpoint: '127.0.0.1:7051',
      roles: ['operator', 'admin'],
    });
    const provider = new ProfileIdentityProvider((await loadConnectionProfiles(dir)).organisations);
    const operator = await provider.identityFor({ user: 'platforma-operator', mspId: MSP, role: 'operator' });
    expect(operator.mspId).toBe(MSP);
    expect(await provider.identityFor({ user: 'x', mspId: MSP, role: 'operator' })).toBe(operator);
    await expect(provider.identityFor({ user: 'g', mspId: MSP, role: 'governance' })).resolves.toMatchObject({
      mspId: MSP,
    });
    await expect(provider.identityFor({ user: 'o', mspId: MSP, role: 'officer' })).rejects.toThrow(
      /users\.officer: no user for role officer/,
    );
    await expect(provider.identityFor({ user: 'c', mspId: 'CustomsMSP', role: 'officer' })).rejects.toThrow(
      /no connection profile for CustomsMSP/,
    );
  });

  it('maps only the roles the gateway knows to profile users: the admin user is governance’s alone', async () => {
    const dir = await tempDir();
    await writeTestProfiles(dir, pki, {
      mspId: MSP,
      peerEndpoint: '127.0.0.1:7051',
      roles: ['operator', 'admin', 'default'],
    });
    const organisations = (await loadConnectionProfiles(dir)).organisations;
    const org = organisations.get(MSP)!;
    expect(profileUserFor(org, 'governance')).toBe('admin');
    expect(profileUserFor(org, 'operator')).toBe('operator');
    expect(profileUserFor(org, 'officer')).toBe('default');
    // A JWT or an API key may name any role; these must not reach the admin, nor the default user.
    for (const role of ['admin', 'client', 'root']) expect(profileUserFor(org, role)).toBeUndefined();
    const provider = new ProfileIdentityProvider(organisations);
    await expect(provider.identityFor({ user: 'mallory', mspId: MSP, role: 'admin' })).rejects.toThrow(
      /^mallory of PlatformAMSP has role admin, which no profile user signs for \(the gateway's roles: .*governance/,
    );
  });

  it('open() names the operator profile file when the gateway organisation has none', async () => {
    const dir = await tempDir();
    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: '127.0.0.1:7051' });
    await expectProfileError(
      FabricLedger.open({ profileDir: dir, mspId: 'CustomsMSP' }),
      join(dir, 'CustomsMSP.json'),
      undefined,
      /file not found/,
    );
  });
});

// ---------------------------------------------------------------- against a peer

describe('FabricLedger.open against an endpoint where nothing listens', () => {
  it('fails quickly with GatewayError 14 UNAVAILABLE', async () => {
    const dir = await tempDir();
    const port = await freePort();
    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: `127.0.0.1:${port}` });
    const started = performance.now();
    const error = await FabricLedger.open({ profileDir: dir, mspId: MSP, connectTimeoutMs: 500 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe(14);
    expect((error as GatewayError).message).toMatch(
      new RegExp(
        `^14 UNAVAILABLE: cannot connect to the peer of ${MSP} at 127\\.0\\.0\\.1:${port} within 500 ms`,
      ),
    );
  });
});

describe('FabricLedger over the Fabric Gateway protocol (a fake peer)', () => {
  let peer: FakeGatewayPeer;
  let ledger: FabricLedger;
  let identity: ClientIdentity;
  let dir: string;

  async function openLedger(extra: Partial<FabricLedgerOptions> = {}): Promise<FabricLedger> {
    return FabricLedger.open({
      profileDir: dir,
      mspId: MSP,
      connectTimeoutMs: 5_000,
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
      ...extra,
    });
  }

  beforeEach(async () => {
    peer = await FakeGatewayPeer.start(pki);
    dir = await tempDir();
    await writeTestProfiles(dir, pki, { mspId: MSP, peerEndpoint: peer.endpoint, roles: ['operator'] });
    ledger = await openLedger();
    identity = await loadUserIdentity(await loadOrgProfile(dir, MSP), 'operator');
  });

  afterEach(async () => {
    await ledger.close();
    peer.stop();
  });

  it('evaluates with arguments, transient data and target organisations, signed by the ClientIdentity over the whole message', async () => {
    peer.onEvaluate = () => Buffer.from('{"ok":true}');
    const result = await ledger.evaluate(identity, 'consignment:get', {
      arguments: ['CN-1', Buffer.from('bytes')],
      transientData: { secret: Buffer.from('s3cret') },
      endorsingOrganizations: [MSP],
    });
    expect(Buffer.from(result).toString()).toBe('{"ok":true}');
    const [seen] = peer.proposals;
    expect(seen).toMatchObject({
      method: 'evaluate',
      channel: 'customs',
      chaincode: 'customs',
      args: ['consignment:get', 'CN-1', 'bytes'],
      transient: { secret: 's3cret' },
      organizations: [MSP],
      mspId: MSP,
      certificate: pki.userCertPem,
      signatureValid: true,
    });
  });

  it('submits: endorse with transient data and endorsing organisations, order, wait for the commit', async () => {
    peer.onEndorse = () => Buffer.from('{"kind":"order"}');
    peer.onCommitStatus = () => ({ code: 0, blockNumber: 7 });
    const submitted = await ledger.submit(identity, 'consignment:submitOrder', {
      arguments: ['CN-1'],
      transientData: { payload: Buffer.from('{"x":1}'), saltSeed: Buffer.from('00'.repeat(32)) },
      endorsingOrganizations: [MSP, 'CustomsMSP'],
    });
    const [seen] = peer.proposals;
    expect(seen).toMatchObject({
      method: 'endorse',
      args: ['consignment:submitOrder', 'CN-1'],
      transient: { payload: '{"x":1}', saltSeed: '00'.repeat(32) },
      organizations: [MSP, 'CustomsMSP'],
      signatureValid: true,
    });
    expect(submitted).toEqual({
      result: new Uint8Array(Buffer.from('{"kind":"order"}')),
      transactionId: seen!.transactionId,
      blockNumber: 7n,
    });
    expect(peer.submitted).toEqual([{ transactionId: seen!.transactionId, signatureValid: true }]);
    expect(peer.commitStatusRequests).toEqual([seen!.transactionId]);
  });

  it('evaluate: a chaincode error is GatewayError 2 with the endorser details', async () => {
    peer.onEvaluate = () =>
      new FakeFailure(
        status.UNKNOWN,
        'evaluate call to endorser returned error: chaincode response 500, consignment CN-9 does not exist',
        [
          {
            address: '127.0.0.1:7051',
            mspId: MSP,
            message: 'chaincode response 500, consignment CN-9 does not exist',
          },
        ],
      );
    const error = (await ledger
      .evaluate(identity, 'consignment:get', { arguments: ['CN-9'] })
      .catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).not.toBeInstanceOf(EndorseError);
    expect(error.code).toBe(2);
    expect(error.message).toBe(
      '2 UNKNOWN: evaluate call to endorser returned error: chaincode response 500, consignment CN-9 does not exist',
    );
    expect(error.details).toEqual([
      {
        address: '127.0.0.1:7051',
        mspId: MSP,
        message: 'chaincode response 500, consignment CN-9 does not exist',
      },
    ]);
    expect(chaincodeMessage(error)).toBe('consignment CN-9 does not exist');
  });

  it('submit: a chaincode refusal is EndorseError 10 with the details and the transaction id', async () => {
    peer.onEndorse = () =>
      new FakeFailure(status.ABORTED, 'failed to endorse transaction, see attached details for more info', [
        {
          address: '127.0.0.1:7051',
          mspId: MSP,
          message: 'chaincode response 500, consignment CN-1 already exists',
        },
      ]);
    const error = (await ledger
      .submit(identity, 'consignment:create', { arguments: ['CN-1', '{}'] })
      .catch((e: unknown) => e)) as EndorseError;
    expect(error).toBeInstanceOf(EndorseError);
    expect(error.code).toBe(10);
    expect(error.message).toBe(
      '10 ABORTED: failed to endorse transaction, see attached details for more info',
    );
    expect(error.transactionId).toBe(peer.proposals[0]!.transactionId);
    expect(chaincodeMessage(error)).toBe('consignment CN-1 already exists');
    expect(peer.submitted).toEqual([]);
  });

  it('endorsers that simulated on different heights: the services retry with a new proposal; a refusal is not retried', async () => {
    const client = new LedgerClient(ledger, ledger.identityProvider());
    const disagree = new FakeFailure(
      status.ABORTED,
      'failed to collect enough transaction endorsements, see attached details for more info',
      [{ address: '127.0.0.1:7150', mspId: 'CustomsMSP', message: 'ProposalResponsePayloads do not match' }],
    );
    peer.onEndorse = () => (peer.proposals.length === 1 ? disagree : Buffer.from('{"kind":"order"}'));
    peer.onCommitStatus = () => ({ code: 0, blockNumber: 3 });
    const submitted = await client.submit(principal, 'consignment:submitOrder', ['CN-1']);
    expect(submitted.value).toEqual({ kind: 'order' });
    expect(peer.proposals).toHaveLength(2);
    expect(peer.proposals[1]!.transactionId).not.toBe(peer.proposals[0]!.transactionId);
    expect(submitted.txId).toBe(peer.proposals[1]!.transactionId);

    // Endorsers that keep disagreeing: a bounded number of proposals, then 409.
    peer.onEndorse = () => disagree;
    const error = await client
      .submit(principal, 'consignment:submitOrder', ['CN-1'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndorseError);
    expect(problemFromLedgerError(error)?.status).toBe(409);
    expect(peer.proposals).toHaveLength(7);

    peer.onEndorse = () =>
      new FakeFailure(status.ABORTED, 'failed to endorse transaction, see attached details for more info', [
        {
          address: '127.0.0.1:7051',
          mspId: MSP,
          message: 'chaincode response 500, consignment CN-1 does not exist',
        },
      ]);
    await expect(client.submit(principal, 'consignment:submitOrder', ['CN-1'])).rejects.toBeInstanceOf(
      EndorseError,
    );
    expect(peer.proposals).toHaveLength(8);
  });

  it('on Fabric a refusal that something is absent is proposed again after pauses (an endorser may lag a block); others are not', async () => {
    const refusal = (message: string) =>
      new FakeFailure(status.ABORTED, 'failed to endorse transaction, see attached details for more info', [
        { address: '127.0.0.1:7130', mspId: 'PostMSP', message: `chaincode response 500, ${message}` },
      ]);
    const absent = refusal('consignment CN-1 does not exist');
    peer.onCommitStatus = () => ({ code: 0, blockNumber: 4 });
    const client = new LedgerClient(ledger, ledger.identityProvider(), { staleReads: { pauseMs: 1 } });
    peer.onEndorse = () => (peer.proposals.length === 1 ? absent : Buffer.from('{"kind":"order"}'));
    await expect(client.submit(principal, 'consignment:submitOrder', ['CN-1'])).resolves.toMatchObject({
      value: { kind: 'order' },
    });
    expect(peer.proposals).toHaveLength(2);
    // So is customs' refusal to assess records it does not see yet (a 422, not a 404).
    const notYet = refusal(
      'consignment CN-1 has no logistics data yet: the assessment needs order, payment and logistics',
    );
    peer.onEndorse = () => (peer.proposals.length === 3 ? notYet : Buffer.from('{"kind":"order"}'));
    await expect(client.submit(principal, 'customs:assess', ['CN-1'])).resolves.toMatchObject({
      value: { kind: 'order' },
    });
    expect(peer.proposals).toHaveLength(4);

    // Lasting: four more proposals, then the refusal as it is.
    peer.onEndorse = () => absent;
    const lasting = await client
      .submit(principal, 'consignment:submitOrder', ['CN-1'])
      .catch((e: unknown) => e);
    expect(chaincodeMessage(lasting as EndorseError)).toBe('consignment CN-1 does not exist');
    expect(peer.proposals).toHaveLength(9);

    // Any other refusal stands at once.
    peer.onEndorse = () => refusal('consignment CN-1 already exists');
    await expect(client.submit(principal, 'consignment:submitOrder', ['CN-1'])).rejects.toBeInstanceOf(
      EndorseError,
    );
    expect(peer.proposals).toHaveLength(10);
    // On the embedded ledger (no option) nothing is retried.
    peer.onEndorse = () => absent;
    await expect(
      new LedgerClient(ledger, ledger.identityProvider()).submit(principal, 'consignment:submitOrder', [
        'CN-1',
      ]),
    ).rejects.toBeInstanceOf(EndorseError);
    expect(peer.proposals).toHaveLength(11);
  });

  it('on Fabric a refusal by some of the organisations asked, the others having endorsed, is proposed again; one by all stands', async () => {
    const refusedBy = (...mspIds: string[]) =>
      new FakeFailure(
        status.ABORTED,
        'failed to collect enough transaction endorsements, see attached details for more info',
        mspIds.map((mspId) => ({
          address: '127.0.0.1:7150',
          mspId,
          message: 'chaincode response 500, PlatformAMSP may submit payments only for its own consignments; consignment CN-1 belongs to no platform yet',
        })),
      );
    peer.onCommitStatus = () => ({ code: 0, blockNumber: 5 });
    const client = new LedgerClient(ledger, ledger.identityProvider(), { staleReads: { pauseMs: 1 } });
    const asked = { endorsingOrganizations: [MSP, 'CustomsMSP'] };
    // Customs' peer has not committed the order yet; the platform's has.
    peer.onEndorse = () => (peer.proposals.length === 1 ? refusedBy('CustomsMSP') : Buffer.from('{"kind":"payment"}'));
    await expect(client.submit(principal, 'consignment:submitPayment', ['CN-1'], asked)).resolves.toMatchObject({
      value: { kind: 'payment' },
    });
    expect(peer.proposals).toHaveLength(2);

    // Both refuse: the refusal stands at once.
    peer.onEndorse = () => refusedBy(MSP, 'CustomsMSP');
    await expect(client.submit(principal, 'consignment:submitPayment', ['CN-1'], asked)).rejects.toBeInstanceOf(EndorseError);
    expect(peer.proposals).toHaveLength(3);
    // Endorsers left to Fabric's gateway: nothing to compare with, the refusal stands.
    peer.onEndorse = () => refusedBy('CustomsMSP');
    await expect(client.submit(principal, 'consignment:submitPayment', ['CN-1'])).rejects.toBeInstanceOf(EndorseError);
    expect(peer.proposals).toHaveLength(4);
    // Lasting disagreement: four more proposals, then the refusal as it is.
    await expect(client.submit(principal, 'consignment:submitPayment', ['CN-1'], asked)).rejects.toBeInstanceOf(EndorseError);
    expect(peer.proposals).toHaveLength(9);
  }); // prettier-ignore

  it('an invalid commit: submit throws CommitError; the low-level getStatus reports it without throwing', async () => {
    peer.onCommitStatus = () => ({ code: 11, blockNumber: 12 });
    const error = (await ledger
      .submit(identity, 'consignment:create')
      .catch((e: unknown) => e)) as CommitError;
    expect(error).toBeInstanceOf(CommitError);
    expect(error.code).toBe(11);
    expect(error.message).toBe(
      `Transaction ${error.transactionId} failed to commit with status code 11 (MVCC_READ_CONFLICT)`,
    );
    expect(isRetryableConflict(error)).toBe(true);

    const endorsed = await ledger.endorse(identity, 'consignment:create');
    const commit = await endorsed.submit();
    expect(commit.transactionId).toBe(endorsed.transactionId);
    await expect(commit.getStatus()).resolves.toEqual({
      transactionId: endorsed.transactionId,
      code: 11,
      successful: false,
      blockNumber: 12n,
    });
  });

  it('a failure to order is an OutcomeUnknownError with the transaction id, after the same transaction was sent again a few times', async () => {
    peer.onSubmit = () => new FakeFailure(status.UNAVAILABLE, 'no orderers available', []);
    const endorsed = await ledger.endorse(identity, 'consignment:create');
    const error = (await endorsed.submit().catch((e: unknown) => e)) as GatewayError;
    // The orderer may have taken one of the copies: nothing says it did not.
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error.code).toBe(14);
    expect(error.transactionId).toBe(endorsed.transactionId);
    expect(peer.submitted.map((s) => s.transactionId)).toEqual(Array(5).fill(endorsed.transactionId));
  });

  it('a submission that may have reached the orderer is sent again as the same signed transaction, never endorsed anew', async () => {
    const failures = [
      new FakeFailure(
        status.DEADLINE_EXCEEDED,
        'submit timeout expired while broadcasting to ordering service',
      ),
      new FakeFailure(status.UNAVAILABLE, 'no orderers could successfully process transaction'),
    ];
    peer.onSubmit = () => failures.shift();
    const result = await ledger.submit(identity, 'consignment:recordMovement', { arguments: ['CN-1', '{}'] });
    expect(result.blockNumber).toBe(2n);
    expect(peer.submitted).toEqual(
      Array(3).fill({ transactionId: result.transactionId, signatureValid: true }),
    );
    expect(peer.proposals.filter((p) => p.method === 'endorse')).toHaveLength(1);
    expect(peer.commitStatusRequests).toEqual([result.transactionId]);
  });

  it('an orderer’s refusal is an answer: the transaction is not sent again', async () => {
    peer.onSubmit = () =>
      new FakeFailure(status.ABORTED, 'received unsuccessful response from orderer: SERVICE_UNAVAILABLE');
    const error = (await ledger
      .submit(identity, 'consignment:create')
      .catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).not.toBeInstanceOf(OutcomeUnknownError);
    expect(error.code).toBe(10);
    expect(peer.submitted).toHaveLength(1);
    expect(peer.commitStatusRequests).toEqual([]);
  });

  it('a commit status that could not be read is asked again for the same transaction, which is not submitted twice', async () => {
    let failures = 2;
    peer.onCommitStatus = () =>
      failures-- > 0 ? new FakeFailure(status.UNAVAILABLE, 'peer restarting') : { code: 0, blockNumber: 3 };
    const result = await ledger.submit(identity, 'consignment:recordMovement', { arguments: ['CN-1', '{}'] });
    expect(result.blockNumber).toBe(3n);
    expect(peer.submitted).toHaveLength(1);
    expect(peer.commitStatusRequests).toEqual(Array(3).fill(result.transactionId));

    // A commit status that timed out already waited its whole deadline: it is reported, not asked again.
    peer.onCommitStatus = () => new FakeFailure(status.DEADLINE_EXCEEDED, 'context deadline exceeded');
    const error = (await ledger
      .submit(identity, 'consignment:create')
      .catch((e: unknown) => e)) as GatewayError;
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(error.code).toBe(4);
    expect(error.transactionId).toBe(peer.submitted[1]?.transactionId);
    expect(peer.commitStatusRequests).toHaveLength(4);
  });

  it('every call has its deadline: an endorser that never answers gives EndorseError 4', async () => {
    await ledger.close();
    ledger = await openLedger({ deadlines: { endorseMs: 300 } });
    peer.onEndorse = () => 'hang';
    const started = performance.now();
    const error = (await ledger
      .submit(identity, 'consignment:create')
      .catch((e: unknown) => e)) as EndorseError;
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(EndorseError);
    expect(error.code).toBe(4);
    expect(error.message).toMatch(/^4 DEADLINE_EXCEEDED: /);
  });

  it('after close() calls fail with GatewayError 14', async () => {
    await ledger.close();
    await expect(ledger.evaluate(identity, 'x')).rejects.toMatchObject({ code: 14 });
  });

  // ------------------------------------------------------------ events

  const take = async (iterable: AsyncIterable<ChaincodeEvent>, count: number): Promise<ChaincodeEvent[]> => {
    const out: ChaincodeEvent[] = [];
    if (count === 0) return out;
    for await (const event of iterable) {
      out.push(event);
      if (out.length >= count) break;
    }
    return out;
  };

  it('events: skips to afterTransactionId in the start block, reopens after a failure from the last block, no duplicate', async () => {
    peer.onChaincodeEvents = (request, stream: EventsStream) => {
      if (peer.eventRequests.length === 1) {
        sendBlockEvents(stream, 5n, 'customs', [{ transactionId: 'a' }, { transactionId: 'b' }]);
        sendBlockEvents(stream, 6n, 'customs', [{ transactionId: 'c' }]);
        setTimeout(() => failStream(stream, new FakeFailure(status.UNAVAILABLE, 'peer going down')), 50);
      } else {
        // The peer replays the whole block it was asked to start from.
        sendBlockEvents(stream, 6n, 'customs', [{ transactionId: 'c' }, { transactionId: 'd' }]);
        sendBlockEvents(stream, 7n, 'customs', [{ transactionId: 'e', eventName: 'Last', payload: 'p' }]);
      }
      void request;
    };
    const retries: unknown[] = [];
    await ledger.close();
    ledger = await openLedger({ onEventsRetry: (error) => retries.push(error) });
    const events = await take(ledger.events({ startBlock: 5n, afterTransactionId: 'a' }), 4);
    expect(events.map((e) => `${e.blockNumber}:${e.transactionId}`)).toEqual(['5:b', '6:c', '6:d', '7:e']);
    expect(events[3]).toMatchObject({ chaincodeName: 'customs', eventName: 'Last' });
    expect(Buffer.from(events[3]!.payload).toString()).toBe('p');
    expect(peer.eventRequests.map((r) => r.start)).toEqual([5n, 6n]);
    expect(peer.eventRequests.every((r) => r.signatureValid && r.chaincode === 'customs')).toBe(true);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ code: 14 });
  });

  it('events: with no start block, starts at the chain height read through qscc and keeps it across a reconnection', async () => {
    peer.height = 9;
    peer.onChaincodeEvents = (_request, stream) => {
      if (peer.eventRequests.length === 1) {
        peer.height = 11; // blocks 9 and 10 commit while the stream is down
        failStream(stream, new FakeFailure(status.UNAVAILABLE, 'down'));
      } else sendBlockEvents(stream, 9n, 'customs', [{ transactionId: 'x' }]);
    };
    const events = await take(ledger.events(), 1);
    expect(events.map((e) => e.transactionId)).toEqual(['x']);
    expect(peer.eventRequests.map((r) => r.start)).toEqual([9n, 9n]);
    expect(peer.proposals.filter((p) => p.chaincode === 'qscc')[0]).toMatchObject({
      args: ['GetChainInfo', 'customs'],
      signatureValid: true,
    });
  });

  it('events: with no start block, a failed read of the chain height is retried; the stream never opens at "next"', async () => {
    // The first GetChainInfo fails as the gRPC client reports a peer that is briefly unreachable.
    let failures = 1;
    const makeUnaryRequest = Client.prototype.makeUnaryRequest;
    Client.prototype.makeUnaryRequest = function (this: Client, ...args: unknown[]) {
      if (args[0] === '/gateway.Gateway/Evaluate' && failures > 0) {
        failures -= 1;
        const callback = args.at(-1) as (error: ServiceError) => void;
        setImmediate(() => callback(serviceError(status.UNAVAILABLE, 'Connection dropped')));
        return undefined;
      }
      return (makeUnaryRequest as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof makeUnaryRequest;
    try {
      const retries: unknown[] = [];
      await ledger.close();
      ledger = await openLedger({ onEventsRetry: (error) => retries.push(error) });
      peer.height = 9;
      peer.onChaincodeEvents = (request, stream) => {
        if (peer.eventRequests.length === 1) {
          peer.height = 11; // blocks 9 and 10 commit while the stream is down
          failStream(stream, new FakeFailure(status.UNAVAILABLE, 'down'));
          return;
        }
        if (request.start === 'next' || request.start <= 9n)
          sendBlockEvents(stream, 9n, 'customs', [{ transactionId: 'x' }]);
        sendBlockEvents(stream, 11n, 'customs', [{ transactionId: 'later' }]);
      };
      const events = await take(ledger.events(), 1);
      expect(events.map((e) => `${e.blockNumber}:${e.transactionId}`)).toEqual(['9:x']);
      expect(peer.eventRequests.map((r) => r.start)).toEqual([9n, 9n]);
      expect(retries.map((e) => (e as GatewayError).code)).toEqual([14, 14]);
    } finally {
      Client.prototype.makeUnaryRequest = makeUnaryRequest;
    }
  });

  it('events: survive a peer restart on the same endpoint', async () => {
    const port = peer.port;
    let restarted = false;
    const handler = (_request: unknown, stream: EventsStream): void => {
      if (!restarted) sendBlockEvents(stream, 3n, 'customs', [{ transactionId: 't1' }]);
      else {
        sendBlockEvents(stream, 3n, 'customs', [{ transactionId: 't1' }, { transactionId: 't2' }]);
        sendBlockEvents(stream, 4n, 'customs', [{ transactionId: 't3' }]);
      }
    };
    peer.onChaincodeEvents = handler;
    const iterator = ledger.events({ startBlock: 3n })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ transactionId: 't1' });
    peer.stop();
    restarted = true;
    peer = await FakeGatewayPeer.start(pki, port);
    peer.onChaincodeEvents = handler;
    expect((await iterator.next()).value).toMatchObject({ blockNumber: 3n, transactionId: 't2' });
    expect((await iterator.next()).value).toMatchObject({ blockNumber: 4n, transactionId: 't3' });
    expect(peer.eventRequests[0]?.start).toBe(3n);
    await iterator.return?.();
  }, 30_000);

  it('events: end when the signal aborts and when the ledger closes', async () => {
    peer.onChaincodeEvents = (_request, stream) =>
      sendBlockEvents(stream, 2n, 'customs', [{ transactionId: 'only' }]);
    const controller = new AbortController();
    const seen: string[] = [];
    const consumed = (async () => {
      for await (const event of ledger.events({ startBlock: 2n, signal: controller.signal }))
        seen.push(event.transactionId);
    })();
    await waitFor(() => seen.length === 1);
    controller.abort();
    await consumed;
    expect(seen).toEqual(['only']);

    const second = (async () => {
      for await (const event of ledger.events({ startBlock: 2n })) seen.push(event.transactionId);
    })();
    await waitFor(() => seen.length === 2);
    await ledger.close();
    await second;
  });

  it('events: a permanent error (PERMISSION_DENIED) is thrown, not retried', async () => {
    peer.onChaincodeEvents = (_request, stream) =>
      failStream(stream, new FakeFailure(status.PERMISSION_DENIED, 'access denied'));
    await expect(take(ledger.events({ startBlock: 1n }), 1)).rejects.toMatchObject({
      code: 7,
      message: '7 PERMISSION_DENIED: access denied',
    });
    expect(peer.eventRequests).toHaveLength(1);
  });

  it('events: a FileCheckpoint resumes after the last handled event across a restart', async () => {
    const checkpointFile = join(await tempDir(), 'checkpoint.json');
    peer.onChaincodeEvents = (request, stream) => {
      if (request.start === 'next' || request.start <= 4n)
        sendBlockEvents(stream, 4n, 'customs', [{ transactionId: 'p' }, { transactionId: 'q' }]);
      sendBlockEvents(stream, 5n, 'customs', [{ transactionId: 'r' }]);
    };
    await ledger.close();
    ledger = await openLedger({ checkpointFile });
    const checkpoint = ledger.checkpoint!;
    expect(checkpoint.position(4n)).toEqual({ startBlock: 4n });
    for await (const event of ledger.events({ ...checkpoint.position(4n) })) {
      await checkpoint.record(event);
      if (event.transactionId === 'p') break;
    }
    expect(JSON.parse(await readFile(checkpointFile, 'utf8'))).toEqual({
      blockNumber: '4',
      transactionId: 'p',
    });
    await ledger.close();

    // A new process: the same file.
    ledger = await openLedger({ checkpointFile });
    const reopened = ledger.checkpoint!;
    expect(reopened.position(0n)).toEqual({ startBlock: 4n, afterTransactionId: 'p' });
    const resumed = await take(ledger.events(reopened.position(0n)), 2);
    expect(resumed.map((e) => e.transactionId)).toEqual(['q', 'r']);
    await reopened.recordBlock(5n);
    expect((await FileCheckpoint.open(checkpointFile)).position()).toEqual({ startBlock: 6n });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

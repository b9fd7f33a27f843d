import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNetworkConfig, type NetworkConfig } from '../../chaincode/src/domain/collections.js';
import { ApiKeyStore } from '../../gateway/src/auth/api-keys.js';
import {
  type Authenticator,
  BearerAuthenticator,
  identify,
  requireAuthentication,
} from '../../gateway/src/auth/authenticate.js';
import { JwtVerifier } from '../../gateway/src/auth/jwt.js';
import { problemHandler } from '../../gateway/src/http/problem.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const network: NetworkConfig = parseNetworkConfig(
  JSON.parse(await readFile(join(root, 'config/organisations.json'), 'utf8')) as unknown,
);
const SECRET = 'a-test-secret-that-is-at-least-32-characters';
const AUDIENCE = 'customs-ledger';
const ISSUER = 'https://idp.example.com';

interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A tiny app: authentication, one protected route that returns the principal, the problem handler. */
async function serve(authenticator: Authenticator): Promise<TestServer> {
  const app = express();
  app.use(identify(authenticator), requireAuthentication);
  app.get('/whoami', (req, res) => {
    res.json(req.principal);
  });
  app.use(problemHandler(pino({ level: 'silent' })));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const now = (): number => Math.floor(Date.now() / 1000);
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

let dataDir: string;
let apiKeys: ApiKeyStore;
let server: TestServer;
let rsaPrivate: CryptoKey;
let ecPrivate: CryptoKey;
let platformKey: string;

async function call(authorization?: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${server.url}/whoami`, {
    headers: authorization === undefined ? {} : { Authorization: authorization },
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** A 401 problem+json with the Bearer challenge, whose detail matches and never repeats the credential. */
async function expect401(authorization: string | undefined, detail: RegExp): Promise<void> {
  const res = await call(authorization);
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.headers.get('www-authenticate')).toBe('Bearer realm="customs-ledger"');
  const body = res.body as { status: number; title: string; detail: string };
  expect(body).toMatchObject({ status: 401, title: 'Unauthorized' });
  expect(body.detail).toMatch(detail);
  const token = authorization?.replace(/^\S+\s*/, '') ?? '';
  if (token.length > 8) expect(JSON.stringify(body)).not.toContain(token);
}

const claims = (overrides: JWTPayload = {}): JWTPayload => ({
  sub: 'alice',
  org: 'PlatformAMSP',
  role: 'operator',
  aud: AUDIENCE,
  iss: ISSUER,
  exp: now() + 300,
  ...overrides,
});

async function signed(
  payload: JWTPayload,
  alg: 'HS256' | 'RS256' | 'ES256' | 'HS512',
  key: CryptoKey | Uint8Array,
  kid?: string,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) }).sign(key);
}
const hs256 = (payload: JWTPayload, secret = SECRET): Promise<string> =>
  signed(payload, 'HS256', new TextEncoder().encode(secret));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gateway-auth-'));
  apiKeys = await ApiKeyStore.open(dataDir, network);
  platformKey = await apiKeys.create('platforma-operator', 'PlatformAMSP', 'operator');

  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  rsaPrivate = rsa.privateKey;
  ecPrivate = ec.privateKey;
  const jwksPath = join(dataDir, 'jwks.json');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  await writeFile(jwksPath, JSON.stringify({ keys }));

  const jwt = new JwtVerifier(
    { secret: SECRET, jwks: jwksPath, issuer: ISSUER, audience: AUDIENCE },
    network,
  );
  server = await serve(new BearerAuthenticator(apiKeys, jwt));
});

afterAll(async () => {
  await server?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the JWT key set', () => {
  // Whoever serves the key set decides who may sign in as anyone.
  it('is taken from an https URL, or over plain http from this machine only', () => {
    const verifier = (jwks: string) => () =>
      new JwtVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE }, network);
    for (const jwks of [
      'https://idp.example.com/jwks',
      'http://localhost:8081/jwks',
      'http://127.0.0.1:8081/jwks',
      'http://[::1]:8081/jwks',
    ]) {
      expect(verifier(jwks), jwks).not.toThrow();
    }
    for (const jwks of [
      'http://idp.example.com/jwks',
      'http://10.0.0.7/jwks',
      'http://localhost.example.com/jwks',
    ]) {
      expect(verifier(jwks), jwks).toThrow(`JWT_JWKS: ${jwks} is plain http`);
    }
  });
});

describe('API keys', () => {
  it('accepts a key issued by the store and maps it to a principal with the organisation role', async () => {
    const res = await call(`Bearer ${platformKey}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: 'platforma-operator',
      mspId: 'PlatformAMSP',
      orgRole: 'platform',
      role: 'operator',
      authMethod: 'api-key',
      apiKeyId: createHash('sha256').update(platformKey).digest('hex').slice(0, 16),
    });
    // The scheme is case-insensitive (RFC 7235).
    expect((await call(`bearer ${platformKey}`)).status).toBe(200);
  });

  it('issues keys of the form clk_ + 32 random bytes in base64url', () => {
    expect(platformKey).toMatch(/^clk_[A-Za-z0-9_-]{43}$/);
  });

  it('refuses an unknown key, a missing header, another scheme and an empty token, saying why', async () => {
    await expect401(`Bearer clk_${'A'.repeat(43)}`, /unknown API key/);
    await expect401(`Bearer not-a-key-at-all`, /neither an API key .* nor a JWT/);
    await expect401(undefined, /missing Authorization header/);
    await expect401('Basic dXNlcjpwYXNzd29yZA==', /must use the Bearer scheme/);
    await expect401(platformKey, /must use the Bearer scheme/); // a bare key, no scheme
    await expect401('Bearer ', /Bearer token is empty/);
    await expect401('Bearer a b', /malformed/);
  });

  it('keeps only hashes on disk, in a file only the owner can read', async () => {
    const path = join(dataDir, 'gateway', 'api-keys.json');
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(platformKey);
    expect(text).not.toContain(platformKey.slice(4));
    const records = JSON.parse(text) as { keyHash: string; user: string; createdAt: string }[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      user: 'platforma-operator',
      mspId: 'PlatformAMSP',
      role: 'operator',
      keyHash: createHash('sha256').update(platformKey).digest('hex'),
    });
    expect(Object.keys(records[0]!).sort()).toEqual(['createdAt', 'keyHash', 'mspId', 'role', 'user']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'gateway'))).mode & 0o777).toBe(0o700);
  });

  it('reloads keys from disk, and refuses a key whose organisation left the network', async () => {
    const reopened = await ApiKeyStore.open(dataDir, network);
    expect(reopened.authenticate(platformKey).user).toBe('platforma-operator');

    const smaller: NetworkConfig = {
      ...network,
      organisations: network.organisations.filter((o) => o.mspId !== 'PlatformAMSP'),
    };
    const store = await ApiKeyStore.open(dataDir, smaller);
    const other = await serve(new BearerAuthenticator(store));
    try {
      const res = await fetch(`${other.url}/whoami`, { headers: { Authorization: `Bearer ${platformKey}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="customs-ledger"');
      expect(((await res.json()) as { detail: string }).detail).toMatch(
        /organisation PlatformAMSP is not part of the network configuration/,
      );
    } finally {
      await other.close();
    }
  });

  it('refuses to issue a key for an unknown organisation', async () => {
    await expect(apiKeys.create('mallory', 'NopeMSP', 'operator')).rejects.toThrow(/unknown organisation/);
  });

  it("refuses a user name that shows as another, or the gateway's audit signer", async () => {
    for (const user of [
      '',
      ' bob',
      'a\u202Eb',
      '\u200Fadmin',
      'ad\u200Bmin',
      'tab\tbed',
      'a\ud800b',
      'x'.repeat(129),
    ]) {
      await expect(apiKeys.create(user, 'PlatformAMSP', 'operator')).rejects.toThrow(/must be a user name/);
    }
    await expect(apiKeys.create('gateway-audit', 'PlatformAMSP', 'operator')).rejects.toThrow(/audit signer/);
    await expect(apiKeys.create('Zoë Ångström 😀', 'PlatformAMSP', 'operator')).resolves.toMatch(/^clk_/);
  });
});

describe('JWT bearer tokens', () => {
  it('accepts a valid HS256 token and maps its claims to a principal, with when it stops being accepted', async () => {
    const exp = now() + 300;
    const res = await call(
      `Bearer ${await hs256(claims({ org: 'CustomsMSP', role: 'officer', sub: 'bob', exp }))}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user: 'bob',
      mspId: 'CustomsMSP',
      orgRole: 'customs',
      role: 'officer',
      authMethod: 'jwt',
      // exp plus the 30 s of clock skew allowed, in milliseconds.
      expiresAt: (exp + 30) * 1000,
      tokenExpiresAt: exp * 1000,
    });
  });

  it('refuses an expired token, allowing 30 s of clock skew', async () => {
    await expect401(`Bearer ${await hs256(claims({ exp: now() - 120 }))}`, /expired/);
    expect((await call(`Bearer ${await hs256(claims({ exp: now() - 5 }))}`)).status).toBe(200);
  });

  it("refuses an unsigned token (alg 'none')", async () => {
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`;
    await expect401(`Bearer ${none}`, /algorithm 'none' is not supported/);
  });

  it('refuses other algorithms, even with the right secret', async () => {
    const hs512 = await signed(claims(), 'HS512', new TextEncoder().encode(SECRET));
    await expect401(`Bearer ${hs512}`, /algorithm 'HS512' is not supported; accepted: HS256, RS256, ES256/);
  });

  it('refuses a token signed with another secret', async () => {
    await expect401(
      `Bearer ${await hs256(claims(), 'another-secret-that-is-also-32-characters')}`,
      /signature/,
    );
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await hs256(claims())).split('.');
    const forged = `${header}.${b64url(claims({ org: 'CustomsMSP', role: 'officer' }))}.${signature}`;
    await expect401(`Bearer ${forged}`, /signature/);
  });

  it('refuses a wrong audience or issuer', async () => {
    await expect401(`Bearer ${await hs256(claims({ aud: 'someone-else' }))}`, /audience/);
    await expect401(`Bearer ${await hs256(claims({ iss: 'https://evil.example.com' }))}`, /issuer/);
  });

  it('refuses an exp that is no time, which never expires and broke /v1/me (500)', async () => {
    for (const exp of [1e308, 9e15]) {
      await expect401(`Bearer ${await hs256(claims({ exp }))}`, /JWT claim 'exp' must be a time/);
    }
  });

  it('refuses a sub that is no user name: control or bidirectional formatting characters, a lone surrogate', async () => {
    for (const sub of ['a\u202Eb-user', '\u061Cadmin', 'a\u0007b', 'a\ud800b', ' lead']) {
      await expect401(`Bearer ${await hs256(claims({ sub }))}`, /JWT claim 'sub' must be a user name/);
    }
  });

  it('requires exp, sub and org, and a known organisation', async () => {
    const { exp: _exp, ...noExp } = claims();
    await expect401(`Bearer ${await hs256(noExp)}`, /missing the claim 'exp'/);
    const { org: _org, ...noOrg } = claims();
    await expect401(`Bearer ${await hs256(noOrg)}`, /missing the claim 'org'/);
    const { sub: _sub, ...noSub } = claims();
    await expect401(`Bearer ${await hs256(noSub)}`, /missing the claim 'sub'/);
    await expect401(`Bearer ${await hs256(claims({ org: 'EvilMSP' }))}`, /unknown organisation/);
  });

  it('requires a role that users of the organisation have: no customs "superuser", no officer on a platform', async () => {
    await expect401(
      `Bearer ${await hs256(claims({ org: 'CustomsMSP', role: 'superuser' }))}`,
      /'role' must be a user role of a customs organisation \(officer, service, governance\), not 'superuser'/,
    );
    await expect401(
      `Bearer ${await hs256(claims({ org: 'PlatformAMSP', role: 'officer' }))}`,
      /'role' must be a user role of a platform organisation \(operator\), not 'officer'/,
    );
  });

  it('verifies RS256 and ES256 tokens with keys from a JWKS file', async () => {
    const rs = await call(`Bearer ${await signed(claims({ sub: 'carol' }), 'RS256', rsaPrivate, 'rsa-1')}`);
    expect(rs.status).toBe(200);
    expect(rs.body).toMatchObject({ user: 'carol', mspId: 'PlatformAMSP', authMethod: 'jwt' });
    const es = await call(
      `Bearer ${await signed(claims({ sub: 'dave', org: 'AuditorMSP', role: 'auditor' }), 'ES256', ecPrivate, 'ec-1')}`,
    );
    expect(es.status).toBe(200);
    expect(es.body).toMatchObject({ user: 'dave', mspId: 'AuditorMSP', orgRole: 'auditor', role: 'auditor' });
  });

  it('refuses an RS256 token signed by a key that is not in the JWKS', async () => {
    const stranger = await generateKeyPair('RS256');
    await expect401(`Bearer ${await signed(claims(), 'RS256', stranger.privateKey, 'rsa-1')}`, /signature/);
    await expect401(`Bearer ${await signed(claims(), 'RS256', stranger.privateKey, 'rsa-9')}`, /no key/);
  });

  it('refuses JWTs altogether when no verifier is configured, and RS256 when there is no JWKS', async () => {
    const noJwt = await serve(new BearerAuthenticator(apiKeys));
    const hsOnly = await serve(
      new BearerAuthenticator(apiKeys, new JwtVerifier({ secret: SECRET, audience: AUDIENCE }, network)),
    );
    try {
      const token = await hs256(claims({ iss: undefined }));
      const refused = await fetch(`${noJwt.url}/whoami`, { headers: { Authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { detail: string }).detail).toMatch(
        /JWT bearer tokens are not accepted/,
      );

      const accepted = await fetch(`${hsOnly.url}/whoami`, { headers: { Authorization: `Bearer ${token}` } });
      expect(accepted.status).toBe(200);
      const rs = await signed(claims(), 'RS256', rsaPrivate, 'rsa-1');
      const noJwks = await fetch(`${hsOnly.url}/whoami`, { headers: { Authorization: `Bearer ${rs}` } });
      expect(noJwks.status).toBe(401);
      expect(((await noJwks.json()) as { detail: string }).detail).toMatch(/no JWKS is configured/);
    } finally {
      await noJwt.close();
      await hsOnly.close();
    }
  });
});

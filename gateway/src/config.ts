import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';

/** Express's names for address ranges in `trust proxy`. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a CIDR subnet, or one of Express's named ranges. */
function isProxyAddress(item: string): boolean {
  if (NAMED_RANGES.has(item)) return true;
  const [address = '', prefix, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  // A /0 would believe every sender: refused (proxy-addr refuses it too).
  return /^\d{1,3}$/.test(prefix) && Number(prefix) >= 1 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Whose X-Forwarded-For to believe (Express's `trust proxy`): a number of proxy hops, or the
 * proxies' addresses and subnets separated by commas.
 */
const TrustProxy = z.string().transform((value, ctx): number | string[] => {
  if (/^\d{1,2}$/.test(value.trim()) && Number(value) > 0) return Number(value);
  const items = value.split(',').map((item) => item.trim());
  const wrong = items.filter((item) => !isProxyAddress(item));
  if (wrong.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${wrong.map((w) => JSON.stringify(w)).join(', ')}: not an IP address, a CIDR subnet, loopback, linklocal or uniquelocal (or give a number of proxy hops, 1 to 99)`,
    });
    return z.NEVER;
  }
  return items;
});

/**
 * What a metrics token must be: an RFC 6750 b64token (it travels in an Authorization header) of at
 * least 32 characters, so that it cannot be guessed (/metrics has no rate limit).
 */
export const METRICS_TOKEN_RULE =
  "at least 32 characters of A-Z a-z 0-9 - . _ ~ + /, then any '=' padding; `openssl rand -base64 32` makes one";
export const isMetricsToken = (value: string): boolean => /^[A-Za-z0-9\-._~+/]{32,}=*$/.test(value);

/** A BODY_LIMIT: a size in bytes, kilobytes or megabytes, as Express's body parser reads it. */
const BODY_SIZE = /^(\d+)(b|kb|mb)$/;
const UNIT_BYTES = { b: 1, kb: 1024, mb: 1024 * 1024 } as const;
/** The bytes of a BODY_LIMIT; undefined for what is none (the format's message says so). */
const bytesOf = (size: string): number | undefined => {
  const [, amount, unit] = BODY_SIZE.exec(size) ?? [];
  return unit === undefined ? undefined : Number(amount) * UNIT_BYTES[unit as keyof typeof UNIT_BYTES];
};

/** What the key of the party ids (an HMAC key) must be: long enough not to be guessed. */
export const PARTY_ID_KEY_RULE = '32 characters or more';
export const isPartyIdKey = (value: string): boolean => value.length >= 32;

/**
 * A whole number from the environment, from min (to max): what is wrong with anything else is said
 * with the range, and the value given (a number is no secret).
 */
function wholeNumber(min: number, max?: number) {
  const range = `a whole number ${max === undefined ? `of at least ${min}` : `from ${min} to ${max}`}`;
  const refused = (issue: { input?: unknown }) => `${range}, not ${JSON.stringify(issue.input)}`;
  const number = z.number({ error: refused }).int({ error: refused }).min(min, { error: refused });
  return z
    .string({ error: refused })
    .regex(/^\s*\d+\s*$/, { error: refused })
    .transform(Number)
    .pipe(max === undefined ? number : number.max(max, { error: refused }));
}

/** Every setting comes from the environment and is validated at start; a bad value names itself. */
const EnvSchema = z.object({
  LEDGER: z.enum(['embedded', 'fabric']).default('embedded'),
  DATA_DIR: z.string().min(1).default('./data'),
  PORT: wholeNumber(0, 65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  NETWORK_CONFIG: z.string().min(1).default('./config/organisations.json'),
  COLLECTIONS_CONFIG: z.string().min(1).default('./chaincode/collections_config.json'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Block cutting of the embedded orderer (Fabric's BatchTimeout / MaxMessageCount). */
  BATCH_TIMEOUT_MS: wholeNumber(0, 10_000).default(2),
  MAX_BATCH_SIZE: wholeNumber(1, 10_000).default(500),
  /** What the embedded ledger's read caches may hold in all, in MiB (default: the store's, 64). */
  LEDGER_CACHE_MB: wholeNumber(1, 65_536).optional(),
  /**
   * Where the embedded ledger runs: on the gateway's thread, or on a worker thread of its own (a
   * second core for proposals, simulations and commits, at the cost of a slower start and a second
   * V8 heap).
   */
  LEDGER_THREAD: z.enum(['main', 'worker']).default('main'),
  // Below a kilobyte most writes of the API (an order with a line or two) would be refused as too large.
  BODY_LIMIT: z
    .string()
    .regex(BODY_SIZE, 'a size such as 256kb or 1mb')
    .refine((size) => (bytesOf(size) ?? 1024) >= 1024, 'at least 1kb: most writes of the API need more')
    .default('1mb'),
  RATE_LIMIT_PER_MINUTE: wholeNumber(1).default(60_000),
  /**
   * Event streams (GET /v1/events) one user may hold open at once. The rate limit counts a stream
   * as one request however long it stays open, and each one costs the gateway memory and a share of
   * every event's work (a user opening thousands slowed /healthz to seconds).
   */
  EVENT_STREAMS_PER_USER: wholeNumber(1, 10_000).default(16),
  /**
   * The reverse proxies in front of the gateway, whose X-Forwarded-For gives the client's address
   * (for the unauthenticated rate limit and the logs). Unset: none is believed, and behind a proxy
   * all of its clients share its address.
   */
  TRUST_PROXY: TrustProxy.optional(),
  /** HS256 shared secret for JWT bearer tokens (at least 32 characters); JWTs are refused when unset. */
  JWT_SECRET: z.string().min(32).optional(),
  /** Public keys for RS256/ES256 JWTs: a JWKS file path or an https URL. */
  JWT_JWKS: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).default('customs-ledger'),
  /**
   * The bearer token that reads /metrics (Prometheus: `authorization: { credentials_file: … }`).
   * Unset: one generated on first start and kept in DATA_DIR/gateway/metrics-token.
   */
  METRICS_TOKEN: z.string().refine(isMetricsToken, METRICS_TOKEN_RULE).optional(),
  /** Key of the keyed hash that turns an identity document into a pseudonymous party id. */
  PARTY_ID_KEY: z.string().refine(isPartyIdKey, PARTY_ID_KEY_RULE).optional(),
  /** With LEDGER=fabric: the connection profiles written by network/network.sh. */
  FABRIC_PROFILE_DIR: z.string().min(1).default('./network/organizations/gateway'),
  /** The organisation that operates this gateway: it signs and anchors the audit log. */
  GATEWAY_MSP: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/)
    .default('CustomsMSP'),
  /**
   * Whether a new data directory's first start makes the demo users, whose keys never expire (and
   * lists them in DATA_DIR/dev-credentials.json): on for `npm start` to work as the README says,
   * off for a real deployment.
   */
  DEMO_USERS: z.enum(['on', 'off']).default('on'),
  /**
   * On SIGTERM or SIGINT, how long the gateway goes on serving with /readyz answering 503
   * 'stopping' before it stops listening: time for a load balancer to take it out of rotation
   * (connections that reach a closed listener are reset).
   */
  STOP_DRAIN_SECONDS: wholeNumber(0, 300).default(0),
  /** Anchor a signed audit tree head on the ledger every N entries or T seconds. */
  AUDIT_ANCHOR_EVERY: wholeNumber(1).default(1000),
  AUDIT_ANCHOR_SECONDS: wholeNumber(1).default(60),
  /**
   * The id of an audit log that does not match its anchor on the ledger, to set aside for a new log
   * (audit/new-log.ts): the operator's acknowledgement that the entries it lost are lost.
   */
  AUDIT_LOG_ABANDON: z
    .string()
    .regex(/^[0-9a-f]{32}$/, "an audit log's id (32 lowercase hex characters), as /readyz names it")
    .optional(),
});

export interface GatewayConfig {
  readonly ledger: 'embedded' | 'fabric';
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  readonly networkConfigPath: string;
  readonly collectionsConfigPath: string;
  readonly logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  readonly batchTimeoutMs: number;
  readonly maxBatchSize: number;
  readonly ledgerCacheBytes?: number;
  readonly ledgerThread: 'worker' | 'main';
  readonly bodyLimit: string;
  readonly rateLimitPerMinute: number;
  readonly eventStreamsPerUser: number;
  /** Express's `trust proxy`: false, a number of hops, or proxy addresses and subnets. */
  readonly trustProxy: false | number | readonly string[];
  readonly jwt: {
    readonly secret?: string;
    readonly jwks?: string;
    readonly issuer?: string;
    readonly audience: string;
  };
  /** When unset the gateway generates one on first start and keeps it in the data directory. */
  readonly metricsToken?: string;
  /** When unset the gateway generates one on first start and keeps it in the data directory. */
  readonly partyIdKey?: string;
  readonly gatewayMspId: string;
  /** DEMO_USERS: whether the demo users are made (and their listed keys registered again). */
  readonly demoUsers: boolean;
  readonly fabricProfileDir: string;
  readonly auditAnchor: { readonly everyEntries: number; readonly everySeconds: number };
  readonly stopDrainSeconds: number;
  /** AUDIT_LOG_ABANDON: the log the operator acknowledged setting aside for a new one. */
  readonly abandonAuditLog?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    ledger: e.LEDGER,
    dataDir: resolve(e.DATA_DIR),
    port: e.PORT,
    host: e.HOST,
    networkConfigPath: resolve(e.NETWORK_CONFIG),
    collectionsConfigPath: resolve(e.COLLECTIONS_CONFIG),
    logLevel: e.LOG_LEVEL,
    batchTimeoutMs: e.BATCH_TIMEOUT_MS,
    maxBatchSize: e.MAX_BATCH_SIZE,
    ledgerCacheBytes: e.LEDGER_CACHE_MB === undefined ? undefined : e.LEDGER_CACHE_MB * 1024 * 1024,
    ledgerThread: e.LEDGER_THREAD,
    bodyLimit: e.BODY_LIMIT,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    eventStreamsPerUser: e.EVENT_STREAMS_PER_USER,
    trustProxy: e.TRUST_PROXY ?? false,
    jwt: { secret: e.JWT_SECRET, jwks: e.JWT_JWKS, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    metricsToken: e.METRICS_TOKEN,
    partyIdKey: e.PARTY_ID_KEY,
    gatewayMspId: e.GATEWAY_MSP,
    demoUsers: e.DEMO_USERS === 'on',
    fabricProfileDir: resolve(e.FABRIC_PROFILE_DIR),
    auditAnchor: { everyEntries: e.AUDIT_ANCHOR_EVERY, everySeconds: e.AUDIT_ANCHOR_SECONDS },
    stopDrainSeconds: e.STOP_DRAIN_SECONDS,
    abandonAuditLog: e.AUDIT_LOG_ABANDON,
  };
}

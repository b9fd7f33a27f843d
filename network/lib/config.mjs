/* global process, console */
/**
 * The network's single source of configuration: reads network/network.config.json (which
 * organisations of config/organisations.json run here, ports, channel, chaincode) and derives
 * everything network.sh needs: crypto-config.yaml for cryptogen, configtx.yaml for configtxgen,
 * per-node environment files, the organisation list for org:init, the gateway's connection
 * profiles, and shell variables for the script itself.
 *
 * Usage: node network/lib/config.mjs <command> [args]   (see COMMANDS at the bottom)
 * The file is read from $FABRIC_NETWORK_CONFIG when set, else network/network.config.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { toYaml } from './yaml.mjs';

export const NETWORK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = dirname(NETWORK_DIR);

const ORGS_DIR = join(NETWORK_DIR, 'organizations');
const ARTIFACTS_DIR = join(NETWORK_DIR, 'channel-artifacts');
const DATA_DIR = join(NETWORK_DIR, 'data');
const GATEWAY_DIR = join(ORGS_DIR, 'gateway');
const BUILDERS_DIR = join(NETWORK_DIR, 'builders');

const MODES = ['native', 'docker'];
const ROLES = ['platform', 'payment', 'post', 'express', 'customs', 'auditor'];
const NETWORK_FIELDS = [
  'organisationsFile',
  'organisations',
  'channel',
  'chaincode',
  'ports',
  'orderer',
  'userRoles',
];
// Fabric's own rules: channel names (lowercase, starting with a letter), chaincode names and labels.
const CHANNEL_NAME = /^[a-z][a-z0-9.-]{0,248}$/;
const CHAINCODE_NAME = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
const CHAINCODE_VERSION = /^[A-Za-z0-9_.+-]+$/;
const MSP_ID = /^[A-Za-z0-9.-]+$/;
const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const DURATION = /^[0-9]+(ms|s)$/;
const USER_ROLE = /^[a-z][a-z0-9-]*$/;
/** The user role that maps to the organisation's cryptogen admin (OU=admin), as the chaincode expects. */
const GOVERNANCE_ROLE = 'governance';
/**
 * The user role whose identity signs a gateway's audit log (its audit signer: gateway/src/server.ts),
 * whichever organisation runs the gateway. Every organisation gets a user for it, listed or not in
 * userRoles: without one its gateway cannot start, and the audit log must not sign as the operators.
 */
const AUDIT_SIGNER_ROLE = 'service';

// Port layout: orderer at base+50.., organisation i of config/organisations.json at base+100+10*i..
const ORDERER_OFFSET = { listen: 50, admin: 53, operations: 54 };
/** The reference key-value chaincode's server (network.sh deploy-reference), shared by every peer. */
const REFERENCE_OFFSET = 90;
const ORG_OFFSET = 100;
const ORG_STRIDE = 10;
const PEER_OFFSET = { listen: 0, chaincode: 1, operations: 2, chaincodeServer: 3 };

function fail(message) {
  throw new Error(`network config: ${message}`);
}

function isRecord(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readJson(path, what) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot read ${what} ${path}: ${e.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${what} ${path} is not valid JSON: ${e.message}`);
  }
}

export function configPath() {
  return resolve(process.env.FABRIC_NETWORK_CONFIG || join(NETWORK_DIR, 'network.config.json'));
}

/** Lowercase MSP id used in container names and the docker-only TLS name: `PostMSP` → `postmsp`. */
function keyOf(mspId) {
  return mspId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

/** Environment-variable form of an MSP id: `PostMSP` → `POSTMSP`. */
function envKeyOf(mspId) {
  return mspId.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** Reads and validates the configuration; errors name the offending field. */
export function loadConfig(path = configPath()) {
  const raw = readJson(path, 'network configuration');
  if (!isRecord(raw)) fail(`${path} must be a JSON object`);
  for (const field of Object.keys(raw)) {
    if (!NETWORK_FIELDS.includes(field))
      fail(`${field} is not a known field (known: ${NETWORK_FIELDS.join(', ')})`);
  }

  const organisationsFile = resolve(dirname(path), raw.organisationsFile ?? '../config/organisations.json');
  const all = readJson(organisationsFile, 'organisation list');
  if (!isRecord(all) || !Array.isArray(all.organisations))
    fail(`${organisationsFile} has no organisations array`);
  const known = all.organisations;
  for (const [i, org] of known.entries()) {
    if (!isRecord(org) || typeof org.mspId !== 'string' || !MSP_ID.test(org.mspId)) {
      fail(`${organisationsFile}: organisations[${i}].mspId is missing or invalid`);
    }
    if (!ROLES.includes(org.role))
      fail(`${organisationsFile}: organisations[${i}].role "${org.role}" is unknown`);
    if (typeof org.domain !== 'string' || !DOMAIN.test(org.domain)) {
      fail(`${organisationsFile}: organisations[${i}].domain "${org.domain}" must be a lowercase DNS name`);
    }
  }

  const selected = raw.organisations;
  if (!Array.isArray(selected) || selected.length < 2) {
    fail('organisations must list at least two MSP ids (the endorsement policy needs two organisations)');
  }
  const seen = new Set();
  for (const [i, mspId] of selected.entries()) {
    if (typeof mspId !== 'string') fail(`organisations[${i}] must be an MSP id string`);
    if (seen.has(mspId)) fail(`organisations[${i}] "${mspId}" is listed twice`);
    seen.add(mspId);
    if (!known.some((o) => o.mspId === mspId)) {
      fail(
        `organisations[${i}] "${mspId}" is not in ${organisationsFile} (known: ${known.map((o) => o.mspId).join(', ')})`,
      );
    }
  }
  const customs = known.find((o) => o.role === 'customs');
  if (!customs || !seen.has(customs.mspId)) {
    fail(
      `organisations must include the customs organisation${customs ? ` ${customs.mspId}` : ''}: every private data collection is shared with it`,
    );
  }

  const channel = raw.channel ?? all.channel;
  if (typeof channel !== 'string' || !CHANNEL_NAME.test(channel)) {
    fail(`channel "${channel}" must start with a lowercase letter and contain only a-z, 0-9, '.' and '-'`);
  }
  const chaincode = raw.chaincode ?? {};
  if (!isRecord(chaincode)) fail('chaincode must be an object { name, version }');
  const ccName = chaincode.name ?? all.chaincode;
  const ccVersion = chaincode.version ?? '1.0';
  if (typeof ccName !== 'string' || !CHAINCODE_NAME.test(ccName))
    fail(`chaincode.name "${ccName}" is not a valid chaincode name`);
  if (typeof ccVersion !== 'string' || !CHAINCODE_VERSION.test(ccVersion)) {
    fail(`chaincode.version "${ccVersion}" may contain only letters, digits, '_', '.', '+' and '-'`);
  }

  const base = raw.ports?.base ?? 7000;
  const highest = base + ORG_OFFSET + ORG_STRIDE * known.length;
  if (!Number.isInteger(base) || base < 1024 || highest > 65535) {
    fail(
      `ports.base ${base} must be an integer from 1024 up to ${65535 - ORG_OFFSET - ORG_STRIDE * known.length}`,
    );
  }

  const ordererRaw = raw.orderer ?? {};
  if (!isRecord(ordererRaw)) fail('orderer must be an object');
  const ordererMspId = ordererRaw.mspId ?? 'OrdererMSP';
  const ordererDomain = ordererRaw.domain ?? 'orderer.example.com';
  if (!MSP_ID.test(ordererMspId) || seen.has(ordererMspId))
    fail(`orderer.mspId "${ordererMspId}" is invalid or taken`);
  if (!DOMAIN.test(ordererDomain) || known.some((o) => o.domain === ordererDomain)) {
    fail(`orderer.domain "${ordererDomain}" must be a lowercase DNS name not used by an organisation`);
  }
  const batchTimeout = process.env.FABRIC_BATCH_TIMEOUT || ordererRaw.batchTimeout || '100ms';
  if (!DURATION.test(batchTimeout)) fail(`orderer.batchTimeout "${batchTimeout}" must look like 100ms or 2s`);
  const maxMessageCount = ordererRaw.maxMessageCount ?? 500;
  if (!Number.isInteger(maxMessageCount) || maxMessageCount < 1)
    fail('orderer.maxMessageCount must be a positive integer');

  const userRoles = raw.userRoles ?? {};
  if (!isRecord(userRoles)) fail('userRoles must map organisation roles to user roles');
  for (const [role, list] of Object.entries(userRoles)) {
    if (!ROLES.includes(role)) fail(`userRoles.${role} is not an organisation role`);
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      list.some((r) => typeof r !== 'string' || !USER_ROLE.test(r))
    ) {
      fail(`userRoles.${role} must be a non-empty list of lowercase role names`);
    }
    if (new Set(list).size !== list.length) fail(`userRoles.${role} lists a role twice`);
  }

  const governance = Array.isArray(all.governanceMspIds)
    ? all.governanceMspIds.filter((m) => seen.has(m))
    : [];
  if (governance.length === 0)
    fail(`none of the governance organisations (${all.governanceMspIds}) is in this network`);

  const organisations = known
    .map((org, index) => ({ ...org, index }))
    .filter((org) => seen.has(org.mspId))
    .map((org) => {
      const roles = userRoles[org.role] ?? ['operator'];
      return {
        mspId: org.mspId,
        role: org.role,
        name: org.name,
        domain: org.domain,
        index: org.index,
        userRoles: roles.includes(AUDIT_SIGNER_ROLE) ? roles : [...roles, AUDIT_SIGNER_ROLE],
      };
    });

  return {
    path,
    organisationsFile,
    known: known.map((org, index) => ({ mspId: org.mspId, index })),
    channel,
    chaincode: { name: ccName, version: ccVersion, label: `${ccName}_${ccVersion}` },
    portBase: base,
    customsMspId: customs.mspId,
    governanceMspIds: governance,
    orderer: { mspId: ordererMspId, domain: ordererDomain, batchTimeout, maxMessageCount },
    organisations,
  };
}

/** Everything derived from the configuration for one mode (native processes or Docker Compose). */
export function layout(config, mode) {
  if (!MODES.includes(mode)) fail(`mode must be one of ${MODES.join(', ')}, got "${mode}"`);
  const docker = mode === 'docker';
  const listenHost = docker ? '0.0.0.0' : '127.0.0.1';
  const base = config.portBase;

  const od = config.orderer.domain;
  const ordererOrgDir = join(ORGS_DIR, 'ordererOrganizations', od);
  const ordererNode = join(ordererOrgDir, 'orderers', `orderer.${od}`);
  const ordererHost = docker ? 'orderer' : '127.0.0.1';
  const orderer = {
    ...config.orderer,
    name: `orderer.${od}`,
    host: ordererHost,
    port: base + ORDERER_OFFSET.listen,
    adminPort: base + ORDERER_OFFSET.admin,
    operationsPort: base + ORDERER_OFFSET.operations,
    address: `${ordererHost}:${base + ORDERER_OFFSET.listen}`,
    adminAddress: `${ordererHost}:${base + ORDERER_OFFSET.admin}`,
    operationsHostAddress: `127.0.0.1:${base + ORDERER_OFFSET.operations}`,
    orgDir: ordererOrgDir,
    mspDir: join(ordererNode, 'msp'),
    tlsDir: join(ordererNode, 'tls'),
    tlsCa: join(ordererNode, 'tls', 'ca.crt'),
    adminClientCert: join(ordererOrgDir, 'users', `Admin@${od}`, 'tls', 'client.crt'),
    adminClientKey: join(ordererOrgDir, 'users', `Admin@${od}`, 'tls', 'client.key'),
    dataDir: join(DATA_DIR, 'orderer'),
    configDir: join(DATA_DIR, 'config', 'orderer'),
    envFile: join(DATA_DIR, 'env', 'orderer.env'),
  };

  const organisations = config.organisations.map((org) => {
    const d = org.domain;
    const key = keyOf(org.mspId);
    const ports = Object.fromEntries(
      Object.entries(PEER_OFFSET).map(([k, off]) => [k, base + ORG_OFFSET + ORG_STRIDE * org.index + off]),
    );
    const orgDir = join(ORGS_DIR, 'peerOrganizations', d);
    const peerName = `peer0.${d}`;
    const peerDir = join(orgDir, 'peers', peerName);
    const dockerHost = `peer0-${key}`;
    const peerHost = docker ? dockerHost : '127.0.0.1';
    const userPaths = (cn) => ({
      certPath: join(orgDir, 'users', cn, 'msp', 'signcerts', `${cn}-cert.pem`),
      keyPath: join(orgDir, 'users', cn, 'msp', 'keystore', 'priv_sk'),
    });
    // cryptogen 2.5 names its users User1..UserN (plus Admin); each user role gets one of them in order,
    // and the governance role gets the organisation's admin (OU=admin), which the chaincode treats as
    // a governance identity. The gateway profile also lists the admin as user "admin".
    let next = 0;
    const users = {};
    for (const role of org.userRoles) {
      const cn = role === GOVERNANCE_ROLE ? `Admin@${d}` : `User${++next}@${d}`;
      users[role] = { user: cn, ...userPaths(cn) };
    }
    const chaincodeService = `ccaas-${key}`;
    return {
      ...org,
      key,
      envKey: envKeyOf(org.mspId),
      userCount: next,
      users,
      orgDir,
      admin: {
        user: `Admin@${d}`,
        mspDir: join(orgDir, 'users', `Admin@${d}`, 'msp'),
        ...userPaths(`Admin@${d}`),
      },
      peer: {
        name: peerName,
        dockerHost,
        host: peerHost,
        ports,
        address: `${peerHost}:${ports.listen}`,
        hostAddress: `127.0.0.1:${ports.listen}`,
        operationsHostAddress: `127.0.0.1:${ports.operations}`,
        dir: peerDir,
        mspDir: join(peerDir, 'msp'),
        tlsDir: join(peerDir, 'tls'),
        tlsCa: join(peerDir, 'tls', 'ca.crt'),
        dataDir: join(DATA_DIR, 'peers', peerName),
        configDir: join(DATA_DIR, 'config', peerName),
        envFile: join(DATA_DIR, 'env', `${dockerHost}.env`),
      },
      chaincode: {
        service: chaincodeService,
        listen: `${listenHost}:${ports.chaincodeServer}`,
        address: `${docker ? chaincodeService : '127.0.0.1'}:${ports.chaincodeServer}`,
        envFile: join(DATA_DIR, 'env', `${chaincodeService}.env`),
        packageDir: join(DATA_DIR, 'chaincode', org.mspId),
      },
    };
  });

  return {
    mode,
    docker,
    listenHost,
    networkDir: NETWORK_DIR,
    repoDir: REPO_DIR,
    orgsDir: ORGS_DIR,
    artifactsDir: ARTIFACTS_DIR,
    dataDir: DATA_DIR,
    gatewayDir: GATEWAY_DIR,
    cryptoConfig: join(ORGS_DIR, 'crypto-config.yaml'),
    configtx: join(ARTIFACTS_DIR, 'configtx.yaml'),
    genesisBlock: join(ARTIFACTS_DIR, `${config.channel}.block`),
    organisationsJson: join(ORGS_DIR, 'organisations.json'),
    collectionsConfig: join(ORGS_DIR, 'collections_config.json'),
    endorsementPolicyFile: join(ORGS_DIR, 'endorsement-policy.txt'),
    cliConfigDir: join(DATA_DIR, 'config', 'cli'),
    composeEnv: join(DATA_DIR, 'compose.env'),
    config,
    orderer,
    organisations,
    customs: organisations.find((o) => o.mspId === config.customsMspId),
  };
}

// ------------------------------------------------------------------ generated files

/** crypto-config.yaml for cryptogen: one peer and `userCount` users per organisation. */
export function cryptoConfig(net) {
  const sans = ['127.0.0.1', 'localhost'];
  return {
    OrdererOrgs: [
      {
        Name: 'Orderer',
        Domain: net.orderer.domain,
        EnableNodeOUs: true,
        // Hostname "orderer" is also an implicit SAN: the orderer's name on the Compose network.
        Specs: [{ Hostname: 'orderer', SANS: sans }],
      },
    ],
    PeerOrgs: net.organisations.map((org) => ({
      Name: org.mspId,
      Domain: org.domain,
      EnableNodeOUs: true,
      // The extra SAN is the peer's name on the Compose network, so the same crypto serves both modes.
      Specs: [{ Hostname: 'peer0', SANS: [...sans, org.peer.dockerHost] }],
      Users: { Count: org.userCount },
    })),
  };
}

function signature(rule) {
  return { Type: 'Signature', Rule: rule };
}

function implicitMeta(rule) {
  return { Type: 'ImplicitMeta', Rule: rule };
}

function configtx(net) {
  const o = net.orderer;
  const ordererOrg = {
    Name: o.mspId,
    ID: o.mspId,
    MSPDir: join(o.orgDir, 'msp'),
    Policies: {
      Readers: signature(`OR('${o.mspId}.member')`),
      Writers: signature(`OR('${o.mspId}.member')`),
      Admins: signature(`OR('${o.mspId}.admin')`),
    },
    OrdererEndpoints: [o.address],
  };
  const peerOrgs = net.organisations.map((org) => ({
    Name: org.mspId,
    ID: org.mspId,
    MSPDir: join(org.orgDir, 'msp'),
    Policies: {
      Readers: signature(`OR('${org.mspId}.admin','${org.mspId}.peer','${org.mspId}.client')`),
      Writers: signature(`OR('${org.mspId}.admin','${org.mspId}.client')`),
      Admins: signature(`OR('${org.mspId}.admin')`),
      Endorsement: signature(`OR('${org.mspId}.peer')`),
    },
    // In the genesis block itself: no anchor peer update transaction is needed.
    AnchorPeers: [{ Host: org.peer.host, Port: org.peer.ports.listen }],
  }));
  const serverCert = join(o.tlsDir, 'server.crt');
  return {
    Profiles: {
      ApplicationChannel: {
        Policies: {
          Readers: implicitMeta('ANY Readers'),
          Writers: implicitMeta('ANY Writers'),
          Admins: implicitMeta('MAJORITY Admins'),
        },
        Capabilities: { V2_0: true },
        Orderer: {
          OrdererType: 'etcdraft',
          BatchTimeout: o.batchTimeout,
          BatchSize: {
            MaxMessageCount: o.maxMessageCount,
            AbsoluteMaxBytes: '99 MB',
            PreferredMaxBytes: '2 MB',
          },
          EtcdRaft: {
            Consenters: [
              { Host: o.host, Port: o.port, ClientTLSCert: serverCert, ServerTLSCert: serverCert },
            ],
            Options: {
              TickInterval: '500ms',
              ElectionTick: 10,
              HeartbeatTick: 1,
              MaxInflightBlocks: 5,
              SnapshotIntervalSize: '16 MB',
            },
          },
          Organizations: [ordererOrg],
          Policies: {
            Readers: implicitMeta('ANY Readers'),
            Writers: implicitMeta('ANY Writers'),
            Admins: implicitMeta('MAJORITY Admins'),
            BlockValidation: implicitMeta('ANY Writers'),
          },
          Capabilities: { V2_0: true },
        },
        Application: {
          Organizations: peerOrgs,
          Policies: {
            Readers: implicitMeta('ANY Readers'),
            Writers: implicitMeta('ANY Writers'),
            Admins: implicitMeta('MAJORITY Admins'),
            // Chaincode definitions need a majority of organisations to approve.
            LifecycleEndorsement: implicitMeta('MAJORITY Endorsement'),
            // Default for chaincodes defined without a policy; ours is always given explicitly.
            Endorsement: implicitMeta('MAJORITY Endorsement'),
          },
          Capabilities: { V2_5: true },
        },
      },
    },
  };
}

/** The organisation list for org:init and the gateway: config/organisations.json's shape, this network's members. */
function organisationsJson(net) {
  const c = net.config;
  return {
    channel: c.channel,
    chaincode: c.chaincode.name,
    customsMspId: c.customsMspId,
    governanceMspIds: c.governanceMspIds,
    organisations: net.organisations.map(({ mspId, role, name, domain }) => ({ mspId, role, name, domain })),
  };
}

function peerEnv(net, org) {
  const p = org.peer;
  const tls = p.tlsDir;
  return {
    FABRIC_CFG_PATH: p.configDir,
    CORE_PEER_ID: p.name,
    CORE_PEER_LOCALMSPID: org.mspId,
    CORE_PEER_MSPCONFIGPATH: p.mspDir,
    CORE_PEER_LISTENADDRESS: `${net.listenHost}:${p.ports.listen}`,
    CORE_PEER_ADDRESS: p.address,
    CORE_PEER_CHAINCODELISTENADDRESS: `${net.listenHost}:${p.ports.chaincode}`,
    CORE_PEER_CHAINCODEADDRESS: `${p.host}:${p.ports.chaincode}`,
    CORE_PEER_GOSSIP_BOOTSTRAP: p.address,
    CORE_PEER_GOSSIP_EXTERNALENDPOINT: p.address,
    CORE_PEER_GOSSIP_RECONNECTINTERVAL: '2s',
    CORE_PEER_TLS_ENABLED: 'true',
    CORE_PEER_TLS_CERT_FILE: join(tls, 'server.crt'),
    CORE_PEER_TLS_KEY_FILE: join(tls, 'server.key'),
    CORE_PEER_TLS_ROOTCERT_FILE: join(tls, 'ca.crt'),
    CORE_PEER_FILESYSTEMPATH: p.dataDir,
    CORE_LEDGER_SNAPSHOTS_ROOTDIR: join(p.dataDir, 'snapshots'),
    CORE_OPERATIONS_LISTENADDRESS: `${net.listenHost}:${p.ports.operations}`,
    CORE_METRICS_PROVIDER: 'prometheus',
  };
}

function ordererEnv(net) {
  const o = net.orderer;
  const tls = o.tlsDir;
  return {
    FABRIC_CFG_PATH: o.configDir,
    ORDERER_GENERAL_LISTENADDRESS: net.listenHost,
    ORDERER_GENERAL_LISTENPORT: String(o.port),
    ORDERER_GENERAL_LOCALMSPID: o.mspId,
    ORDERER_GENERAL_LOCALMSPDIR: o.mspDir,
    ORDERER_GENERAL_BOOTSTRAPMETHOD: 'none',
    ORDERER_GENERAL_TLS_ENABLED: 'true',
    ORDERER_GENERAL_TLS_PRIVATEKEY: join(tls, 'server.key'),
    ORDERER_GENERAL_TLS_CERTIFICATE: join(tls, 'server.crt'),
    ORDERER_GENERAL_TLS_ROOTCAS: `[${join(tls, 'ca.crt')}]`,
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE: join(tls, 'server.crt'),
    ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY: join(tls, 'server.key'),
    ORDERER_GENERAL_CLUSTER_ROOTCAS: `[${join(tls, 'ca.crt')}]`,
    ORDERER_CHANNELPARTICIPATION_ENABLED: 'true',
    ORDERER_ADMIN_LISTENADDRESS: `${net.listenHost}:${o.adminPort}`,
    ORDERER_ADMIN_TLS_ENABLED: 'true',
    ORDERER_ADMIN_TLS_CERTIFICATE: join(tls, 'server.crt'),
    ORDERER_ADMIN_TLS_PRIVATEKEY: join(tls, 'server.key'),
    ORDERER_ADMIN_TLS_ROOTCAS: `[${join(tls, 'ca.crt')}]`,
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED: 'true',
    ORDERER_ADMIN_TLS_CLIENTROOTCAS: `[${join(tls, 'ca.crt')}]`,
    ORDERER_OPERATIONS_LISTENADDRESS: `${net.listenHost}:${o.operationsPort}`,
    ORDERER_METRICS_PROVIDER: 'prometheus',
    ORDERER_FILELEDGER_LOCATION: join(o.dataDir, 'ledger'),
    ORDERER_CONSENSUS_WALDIR: join(o.dataDir, 'etcdraft', 'wal'),
    ORDERER_CONSENSUS_SNAPDIR: join(o.dataDir, 'etcdraft', 'snapshot'),
  };
}

/** KEY=VALUE lines, unquoted: read literally both by network.sh and by Docker Compose's env_file. */
function envFile(vars) {
  return (
    Object.entries(vars)
      .map(([k, v]) => {
        if (/[\n\r]/.test(v)) fail(`environment value for ${k} contains a newline`);
        return `${k}=${v}`;
      })
      .join('\n') + '\n'
  );
}

/** The gateway's connection profile of one organisation (`<MSPID>.json`): its peer and its users by role. */
export function gatewayProfile(net, org) {
  return {
    mspId: org.mspId,
    peerEndpoint: org.peer.hostAddress,
    // The peer's certificate carries localhost and 127.0.0.1; dialling 127.0.0.1 with this override
    // avoids Node's warning about an IP address as TLS server name.
    peerHostAlias: 'localhost',
    tlsRootCert: org.peer.tlsCa,
    users: Object.fromEntries(
      [...Object.entries(org.users), ['admin', org.admin]].map(([role, u]) => [
        role,
        { certPath: u.certPath, keyPath: u.keyPath },
      ]),
    ),
  };
}

function gatewayNetwork(net) {
  const c = net.config;
  return {
    channel: c.channel,
    chaincode: c.chaincode.name,
    customsMspId: c.customsMspId,
    mode: net.mode,
    organisationsConfig: net.organisationsJson,
    collectionsConfig: net.collectionsConfig,
    organisations: net.organisations.map((org) => ({
      mspId: org.mspId,
      role: org.role,
      name: org.name,
      peerEndpoint: org.peer.hostAddress,
      peerHostAlias: 'localhost',
      tlsRootCert: org.peer.tlsCa,
      profile: join(net.gatewayDir, `${org.mspId}.json`),
    })),
  };
}

function composeEnv(net, allOrgs) {
  const vars = {
    NETWORK_DIR: net.networkDir,
    REPO_DIR: net.repoDir,
    FABRIC_VERSION: process.env.FABRIC_VERSION || '2.5',
    NODE_IMAGE: process.env.NODE_IMAGE || 'node:20-bookworm-slim',
    FABRIC_UID: String(process.getuid?.() ?? 0),
    FABRIC_GID: String(process.getgid?.() ?? 0),
    ORDERER_PORT: String(net.orderer.port),
    ORDERER_ADMIN_PORT: String(net.orderer.adminPort),
    ORDERER_OPERATIONS_PORT: String(net.orderer.operationsPort),
  };
  // compose.yaml names every organisation of config/organisations.json; ports for those not in this
  // network are still defined so the file interpolates, and their services are never started.
  for (const org of allOrgs) {
    const p = net.config.portBase + ORG_OFFSET + ORG_STRIDE * org.index;
    vars[`${envKeyOf(org.mspId)}_PEER_PORT`] = String(p + PEER_OFFSET.listen);
    vars[`${envKeyOf(org.mspId)}_OPERATIONS_PORT`] = String(p + PEER_OFFSET.operations);
  }
  return vars;
}

function write(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

const GENERATED = 'Generated by network/lib/config.mjs from network/network.config.json; do not edit.';

/** Writes every configuration file that needs no Fabric binary. */
export function generate(net) {
  if (/\s/.test(net.networkDir)) {
    fail(
      `the network directory "${net.networkDir}" contains whitespace, which Fabric's list-valued settings cannot carry`,
    );
  }
  write(
    net.cryptoConfig,
    toYaml(cryptoConfig(net), `${GENERATED}\nInput of: cryptogen generate --config=<this file>`),
  );
  write(
    net.configtx,
    toYaml(
      configtx(net),
      `${GENERATED}\nInput of: configtxgen -profile ApplicationChannel -configPath <this folder>`,
    ),
  );
  write(net.organisationsJson, `${JSON.stringify(organisationsJson(net), null, 2)}\n`);
  write(net.orderer.envFile, envFile(ordererEnv(net)));
  for (const org of net.organisations) {
    write(org.peer.envFile, envFile(peerEnv(net, org)));
    write(
      join(net.gatewayDir, `${org.mspId}.json`),
      `${JSON.stringify(gatewayProfile(net, org), null, 2)}\n`,
    );
  }
  write(join(net.gatewayDir, 'network.json'), `${JSON.stringify(gatewayNetwork(net), null, 2)}\n`);
  if (net.docker) {
    write(net.composeEnv, envFile(composeEnv(net, net.config.known)));
    // Compose reads the env_file of every service it knows, including those of organisations not in
    // this network: give them an empty one.
    for (const { mspId } of net.config.known) {
      for (const name of [`peer0-${keyOf(mspId)}`, `ccaas-${keyOf(mspId)}`]) {
        const path = join(net.dataDir, 'env', `${name}.env`);
        if (!existsSync(path)) write(path, '');
      }
    }
  }
}

/**
 * A copy of Fabric's sample core.yaml with the two edits FABRIC.md requires made in the file itself:
 * `vm.endpoint: ""` (no Docker health check) and `chaincode.externalBuilders` naming our ccaas builder.
 * A line-based edit keeps the file's comments and layout; the result is checked afterwards.
 */
export function patchCoreYaml(text, buildersDir) {
  const lines = text.split('\n');
  const out = [];
  let section = '';
  let patchedEndpoint = false;
  let patchedBuilders = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const top = /^([A-Za-z_][A-Za-z0-9_]*):/.exec(line);
    if (top) section = top[1];
    const child = /^( +)([A-Za-z_][A-Za-z0-9_]*):(.*)$/.exec(line);
    if (section === 'vm' && child && child[2] === 'endpoint' && !patchedEndpoint) {
      out.push(`${child[1]}endpoint: ""`);
      patchedEndpoint = true;
      continue;
    }
    if (section === 'chaincode' && child && child[2] === 'externalBuilders' && !patchedBuilders) {
      const indent = child[1];
      out.push(
        `${indent}externalBuilders:`,
        `${indent}  - name: ccaas`,
        `${indent}    path: ${JSON.stringify(buildersDir)}`,
      );
      patchedBuilders = true;
      if (child[3].trim() === '' || child[3].trim().startsWith('#')) {
        // Drop the original block: deeper lines, list items at the same indentation, and comments in between.
        while (i + 1 < lines.length) {
          const nextLine = lines[i + 1];
          const indentOf = /^( *)/.exec(nextLine)[1].length;
          const blank = nextLine.trim() === '' || nextLine.trim().startsWith('#');
          const item = indentOf === indent.length && nextLine.trim().startsWith('- ');
          if (blank || item || indentOf > indent.length) i++;
          else break;
        }
      }
      continue;
    }
    out.push(line);
  }
  if (!patchedEndpoint) fail('core.yaml template has no vm.endpoint setting to clear');
  if (!patchedBuilders) fail('core.yaml template has no chaincode.externalBuilders setting to replace');
  return out.join('\n');
}

// ------------------------------------------------------------------ shell interface

function shq(value) {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

function shellArray(name, values) {
  return `${name}=(${values.map(shq).join(' ')})`;
}

/** Variables for network.sh (eval'd); arrays are indexed by organisation, in config/organisations.json order. */
function shellVars(net) {
  const c = net.config;
  const o = net.orderer;
  const orgs = net.organisations;
  const lines = [
    `CHANNEL=${shq(c.channel)}`,
    `CC_NAME=${shq(c.chaincode.name)}`,
    `CC_VERSION=${shq(c.chaincode.version)}`,
    `CC_LABEL=${shq(c.chaincode.label)}`,
    `REFERENCE_CC_ADDRESS=${shq(`127.0.0.1:${c.portBase + REFERENCE_OFFSET}`)}`,
    `CUSTOMS_MSP=${shq(c.customsMspId)}`,
    `KNOWN_MSPS=${shq(c.known.map((k) => k.mspId).join(' '))}`,
    `ORGS_DIR=${shq(net.orgsDir)}`,
    `ARTIFACTS_DIR=${shq(net.artifactsDir)}`,
    `CRYPTO_CONFIG=${shq(net.cryptoConfig)}`,
    `GENESIS_BLOCK=${shq(net.genesisBlock)}`,
    `ORGANISATIONS_JSON=${shq(net.organisationsJson)}`,
    `COLLECTIONS_CONFIG=${shq(net.collectionsConfig)}`,
    `POLICY_FILE=${shq(net.endorsementPolicyFile)}`,
    `CLI_CONFIG_DIR=${shq(net.cliConfigDir)}`,
    `COMPOSE_ENV=${shq(net.composeEnv)}`,
    `GATEWAY_DIR=${shq(net.gatewayDir)}`,
    `BATCH_TIMEOUT=${shq(o.batchTimeout)}`,
    `ORDERER_NAME=${shq(o.name)}`,
    `ORDERER_ADDR=${shq(o.address)}`,
    `ORDERER_ADMIN_ADDR=${shq(o.adminAddress)}`,
    `ORDERER_OPS_ADDR=${shq(o.operationsHostAddress)}`,
    `ORDERER_TLS_CA=${shq(o.tlsCa)}`,
    `ORDERER_ADMIN_CERT=${shq(o.adminClientCert)}`,
    `ORDERER_ADMIN_KEY=${shq(o.adminClientKey)}`,
    `ORDERER_DATA_DIR=${shq(o.dataDir)}`,
    `ORDERER_CONFIG_DIR=${shq(o.configDir)}`,
    `ORDERER_ENV=${shq(o.envFile)}`,
    `CUSTOMS_INDEX=${orgs.indexOf(net.customs)}`,
    shellArray(
      'ORG_MSP',
      orgs.map((x) => x.mspId),
    ),
    shellArray(
      'ORG_KEY',
      orgs.map((x) => x.key),
    ),
    shellArray(
      'ORG_DOMAIN',
      orgs.map((x) => x.domain),
    ),
    shellArray(
      'PEER_NAME',
      orgs.map((x) => x.peer.name),
    ),
    shellArray(
      'PEER_SERVICE',
      orgs.map((x) => x.peer.dockerHost),
    ),
    shellArray(
      'PEER_ADDR',
      orgs.map((x) => x.peer.address),
    ),
    shellArray(
      'PEER_HOST_ADDR',
      orgs.map((x) => x.peer.hostAddress),
    ),
    shellArray(
      'PEER_OPS_ADDR',
      orgs.map((x) => x.peer.operationsHostAddress),
    ),
    shellArray(
      'PEER_TLS_CA',
      orgs.map((x) => x.peer.tlsCa),
    ),
    shellArray(
      'PEER_DATA_DIR',
      orgs.map((x) => x.peer.dataDir),
    ),
    shellArray(
      'PEER_CONFIG_DIR',
      orgs.map((x) => x.peer.configDir),
    ),
    shellArray(
      'PEER_ENV',
      orgs.map((x) => x.peer.envFile),
    ),
    shellArray(
      'ADMIN_MSP',
      orgs.map((x) => x.admin.mspDir),
    ),
    shellArray(
      'USER_KEYS',
      orgs.map((x) =>
        Object.values(x.users)
          .map((u) => u.keyPath)
          .join(' '),
      ),
    ),
    shellArray(
      'CC_SERVICE',
      orgs.map((x) => x.chaincode.service),
    ),
    shellArray(
      'CC_LISTEN',
      orgs.map((x) => x.chaincode.listen),
    ),
    shellArray(
      'CC_ADDRESS',
      orgs.map((x) => x.chaincode.address),
    ),
    shellArray(
      'CC_ENV',
      orgs.map((x) => x.chaincode.envFile),
    ),
    shellArray(
      'CC_PACKAGE_DIR',
      orgs.map((x) => x.chaincode.packageDir),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** A stable digest of everything that shapes the channel and crypto: a change needs a clean network. */
function fingerprint(config) {
  const essentials = {
    channel: config.channel,
    portBase: config.portBase,
    orderer: { mspId: config.orderer.mspId, domain: config.orderer.domain },
    organisations: config.organisations.map(({ mspId, role, domain, index, userRoles }) => ({
      mspId,
      role,
      domain,
      index,
      userRoles,
    })),
  };
  return createHash('sha256').update(JSON.stringify(essentials)).digest('hex');
}

// ------------------------------------------------------------------ JSON helpers for network.sh

/** checkcommitreadiness --output json → MSP ids that have not approved, one per line. */
function missingApprovals(file) {
  const json = JSON.parse(readFileSync(file, 'utf8'));
  return Object.entries(json.approvals ?? {})
    .filter(([, approved]) => !approved)
    .map(([mspId]) => mspId);
}

/** querycommitted --name X --output json → "sequence version", or nothing when not committed. */
function committed(file) {
  const text = readFileSync(file, 'utf8').trim();
  if (!text) return '';
  const json = JSON.parse(text);
  return json.sequence ? `${json.sequence} ${json.version}` : '';
}

/** queryinstalled --output json → whether a package id is installed. */
function installed(file, packageId) {
  const text = readFileSync(file, 'utf8').trim();
  const json = text ? JSON.parse(text) : {};
  return (json.installed_chaincodes ?? []).some((c) => c.package_id === packageId);
}

const COMMANDS = {
  validate: () => {
    const c = loadConfig();
    console.log(
      `channel ${c.channel}, chaincode ${c.chaincode.label}, organisations ${c.organisations.map((o) => o.mspId).join(' ')}, ports from ${c.portBase}`,
    );
  },
  shell: (mode) => process.stdout.write(shellVars(layout(loadConfig(), mode))),
  generate: (mode) => generate(layout(loadConfig(), mode)),
  fingerprint: () => console.log(fingerprint(loadConfig())),
  'core-yaml': (template, out) => {
    write(out, patchCoreYaml(readFileSync(template, 'utf8'), join(BUILDERS_DIR, 'ccaas')));
  },
  /** The two files of a ccaas package for one organisation: connection.json (code) and metadata.json. */
  'package-files': (mode, mspId, dir) => {
    const net = layout(loadConfig(), mode);
    const org = net.organisations.find((o) => o.mspId === mspId) ?? fail(`${mspId} is not in this network`);
    const connection = { address: org.chaincode.address, dial_timeout: '10s', tls_required: false };
    write(join(dir, 'code', 'connection.json'), `${JSON.stringify(connection, null, 2)}\n`);
    write(
      join(dir, 'metadata.json'),
      `${JSON.stringify({ type: 'ccaas', label: net.config.chaincode.label })}\n`,
    );
  },
  /** The -c argument of `peer chaincode invoke` for org:init with this network's organisation list. */
  'init-args': (mode) => {
    const net = layout(loadConfig(), mode);
    console.log(JSON.stringify({ function: 'org:init', Args: [JSON.stringify(organisationsJson(net))] }));
  },
  'missing-approvals': (file) => {
    const missing = missingApprovals(file);
    if (missing.length) console.log(missing.join('\n'));
  },
  committed: (file) => console.log(committed(file)),
  installed: (file, packageId) => process.exit(installed(file, packageId) ? 0 : 1),
};

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [command, ...args] = process.argv.slice(2);
  const run = COMMANDS[command];
  if (!run) {
    console.error(`usage: node network/lib/config.mjs <${Object.keys(COMMANDS).join('|')}> [args]`);
    process.exit(2);
  }
  try {
    run(...args);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}

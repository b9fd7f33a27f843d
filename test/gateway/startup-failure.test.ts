/**
 * What the operator is told when the gateway cannot start for a reason it can act on (the process
 * test, gateway-process.test.ts, checks that it is one line): here, the Fabric profiles' problems,
 * each with the remedy that fits it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/src/config.js';
import { ConnectionProfileError } from '../../gateway/src/ledger/fabric/connection-profile.js';
import { explainStartupFailure } from '../../gateway/src/startup-failure.js';

const dir = '/srv/profiles';
const config = loadConfig({ LEDGER: 'fabric', FABRIC_PROFILE_DIR: dir, GATEWAY_MSP: 'PostMSP' });
const explain = (file: string, field: string | undefined, problem: string) =>
  explainStartupFailure(new ConnectionProfileError(join(dir, file), field, problem), config);

describe('a Fabric connection profile the gateway cannot use', () => {
  it('missing network.json: the network is not up, or FABRIC_PROFILE_DIR is elsewhere', () => {
    expect(explain('network.json', undefined, 'file not found')).toBe(
      `${dir}/network.json: file not found: bring the network up and deploy the chaincode (npm run network:up, npm run network:deploy), or set FABRIC_PROFILE_DIR to the folder of its connection profiles`,
    );
  });

  it("missing the gateway's organisation's profile: GATEWAY_MSP names none of the network's", () => {
    expect(explain('PostMSP.json', undefined, 'file not found')).toBe(
      `${dir}/PostMSP.json: file not found: GATEWAY_MSP PostMSP is not an organisation of the running network; set it to one whose profile is in ${dir}`,
    );
  });

  it('anything else wrong in a profile: the file, the field and the problem, and where profiles come from', () => {
    expect(explain('PostMSP.json', 'tlsRootCert', 'x.pem is not a PEM certificate')).toBe(
      `${dir}/PostMSP.json: tlsRootCert: x.pem is not a PEM certificate (a connection profile network/network.sh wrote in FABRIC_PROFILE_DIR)`,
    );
    expect(explain('CustomsMSP.json', undefined, 'file not found')).toMatch(
      /CustomsMSP\.json: file not found \(a connection profile network\/network\.sh wrote in FABRIC_PROFILE_DIR\)$/,
    );
  });
});

describe('a data directory the file system refuses', () => {
  const dataDir = '/srv/customs-ledger';
  const embedded = loadConfig({ DATA_DIR: dataDir });
  const remedy = 'set DATA_DIR to a directory this user can write, or mend that one';
  const FREE_SPACE = 'free space on its device, or set DATA_DIR to a directory on another';
  const opening = (cause: object) =>
    Object.assign(new Error('Database failed to open'), { code: 'LEVEL_DATABASE_NOT_OPEN', cause });

  // As LevelDB words it for a directory that exists but this user cannot write (its LOCK file).
  it.each([
    ['Permission denied', 'permission denied', remedy],
    ['Read-only file system', 'the file system is read-only', remedy],
    ['No space left on device', 'no space left on device', FREE_SPACE],
    [
      'File too large',
      'the file-size limit is reached',
      'raise the file-size limit (ulimit -f) of the user that runs the gateway',
    ],
  ])('an IO error opening a store in it: %s', (words, why, mend) => {
    const cause = Object.assign(new Error(`IO error: ${dataDir}/ledger/LOCK: ${words}`), {
      code: 'LEVEL_IO_ERROR',
    });
    expect(explainStartupFailure(opening(cause), embedded)).toBe(
      `DATA_DIR ${dataDir} cannot be used: open ${dataDir}/ledger/LOCK: ${why}; ${mend}`,
    );
  });

  it('a file it writes past the file-size limit (ulimit -f)', () => {
    const refused = Object.assign(new Error('EFBIG'), {
      code: 'EFBIG',
      syscall: 'write',
      path: `${dataDir}/gateway/metrics-token`,
    });
    expect(explainStartupFailure(refused, embedded)).toBe(
      `DATA_DIR ${dataDir} cannot be used: write ${dataDir}/gateway/metrics-token: the file-size limit is reached; raise the file-size limit (ulimit -f) of the user that runs the gateway`,
    );
  });

  it('a directory it is to be made in that this user cannot write', () => {
    const refused = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'mkdir', path: '/srv' });
    expect(explainStartupFailure(refused, embedded)).toBe(
      `DATA_DIR ${dataDir} cannot be used: mkdir /srv: permission denied; ${remedy}`,
    );
  });

  it('is not what a refusal elsewhere is (the stack is the useful part then)', () => {
    const elsewhere = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'open', path: '/etc/x' });
    expect(explainStartupFailure(elsewhere, embedded)).toBeUndefined();
    const otherIo = Object.assign(new Error(`IO error: ${dataDir}/ledger/000005.ldb: Corruption`), {
      code: 'LEVEL_IO_ERROR',
    });
    expect(explainStartupFailure(opening(otherIo), embedded)).toBeUndefined();
  });
});

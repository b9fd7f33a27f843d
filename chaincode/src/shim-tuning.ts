import { createRequire } from 'node:module';

/*
 * Two process-wide adjustments to fabric-shim that change nothing the chaincode computes, applied
 * when the chaincode module loads, in a chaincode server on Fabric and in the embedded ledger alike:
 *
 * 1. The shim's and contract API's own loggers format every debug message before any level filter
 *    (winston filters per transport): measured on a Fabric peer's chaincode server, a good part of
 *    the CPU of a transaction with many state calls. Unless CORE_CHAINCODE_LOGGING_LEVEL asks for
 *    DEBUG or INFO they are muted; the chaincode's own ctx.logging loggers are untouched.
 * 2. ClientIdentity parses the creator's certificate on every invocation; parsing is pure, so
 *    parsed certificates are memoised by their PEM text.
 */

type ShimLogger = Record<'debug' | 'info' | 'warn' | 'error', (...args: unknown[]) => unknown>;

/** The loggers by the module that makes them, as named by fabric-shim 2.5 and fabric-contract-api 2.5. */
const SHIM_LOGGERS = {
  'fabric-shim/lib/logger.js': [
    'lib/handler.js',
    'lib/stub.js',
    'lib/iterators.js',
    'lib/chaincode.js',
    'contracts-spi/chaincodefromcontract.js',
    'contracts-spi/datamarshall.js',
  ],
  'fabric-contract-api/lib/logger.js': ['./lib/contract.js', './lib/jsontransactionserializer.js'],
} as const;

const MEMOISED_CERTIFICATES = 4096;

let tuned = false;

export function tuneShim(): void {
  if (tuned) return;
  tuned = true;
  const requireHere = createRequire(__filename);
  if (!/^(DEBUG|INFO)$/i.test(process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? '')) {
    const noop = (): undefined => undefined;
    for (const [modulePath, names] of Object.entries(SHIM_LOGGERS)) {
      const loggers = requireHere(modulePath) as { getLogger(name: string): ShimLogger };
      for (const name of names) {
        const logger = loggers.getLogger(name);
        logger.debug = logger.info = logger.warn = logger.error = noop;
      }
    }
  }
  const requireFromShim = createRequire(requireHere.resolve('fabric-shim'));
  const { Certificate } = requireFromShim('@fidm/x509') as { Certificate: { fromPEM(pem: Buffer): unknown } };
  const parse = Certificate.fromPEM.bind(Certificate);
  const parsed = new Map<string, unknown>();
  Certificate.fromPEM = (pem: Buffer): unknown => {
    const key = pem.toString();
    let certificate = parsed.get(key);
    if (certificate === undefined) {
      if (parsed.size >= MEMOISED_CERTIFICATES) parsed.clear();
      certificate = parse(pem);
      parsed.set(key, certificate);
    }
    return certificate;
  };
}

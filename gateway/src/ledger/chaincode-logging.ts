/*
 * fabric-shim and fabric-contract-api read their log level from CORE_CHAINCODE_LOGGING_LEVEL when
 * their modules load, and log each decorator at info. On Fabric that goes to the chaincode
 * container's log; in-process it would go to the gateway's. Import this module before the
 * chaincode so that, unless the operator chose a level, only warnings and errors remain.
 *
 * Their loggers also take over the process's error handling when they load: a winston transport
 * with handleExceptions and exitOnError false, and an unhandledRejection listener, which log an
 * uncaught exception or an unhandled rejection and carry on. A chaincode process may choose that;
 * the gateway must not: after a bug it would run on in an unknown state, instead of stopping and
 * restarting from what it had made durable. So this module loads both loggers first and takes
 * those listeners off again; Node's default (print the error and exit) applies.
 */
import { createRequire } from 'node:module';

process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'WARNING';

export const CHAINCODE_LOGGING_LEVEL = process.env.CORE_CHAINCODE_LOGGING_LEVEL;

const uncaught = new Set(process.listeners('uncaughtException'));
const rejection = new Set(process.listeners('unhandledRejection'));
const requireHere = createRequire(import.meta.url);
// Each logger installs its listeners once, when its module first loads; both modules are then cached.
requireHere(requireHere.resolve('fabric-contract-api/lib/logger.js'));
requireHere(createRequire(requireHere.resolve('fabric-shim')).resolve('./lib/logger.js'));
for (const listener of process.listeners('uncaughtException')) {
  if (!uncaught.has(listener)) process.off('uncaughtException', listener);
}
for (const listener of process.listeners('unhandledRejection')) {
  if (!rejection.has(listener)) process.off('unhandledRejection', listener);
}

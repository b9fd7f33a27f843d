/*
 * fabric-shim and fabric-contract-api read their log level from CORE_CHAINCODE_LOGGING_LEVEL when
 * their modules load, and log each decorator at info. On Fabric that goes to the chaincode
 * container's log; in-process it would go to the gateway's. Import this module before the
 * chaincode so that, unless the operator chose a level, only warnings and errors remain.
 */
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'WARNING';

export const CHAINCODE_LOGGING_LEVEL = process.env.CORE_CHAINCODE_LOGGING_LEVEL;

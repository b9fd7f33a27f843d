/*
 * Entry point of `customs-audit` (npm run audit -- <command>, or the package bin): runs the CLI
 * on the process's arguments and exits with its code.
 */
import '../../gateway/src/ledger/chaincode-logging.js';
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2));

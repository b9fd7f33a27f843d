import '../ledger/chaincode-logging.js';
import { runKeysCli } from './api-keys.js';

process.exitCode = await runKeysCli(process.argv.slice(2));

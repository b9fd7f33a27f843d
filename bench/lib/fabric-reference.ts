/*
 * The reference chaincode on a Fabric network (network.sh deploy-reference: kv:put, one putState),
 * as the platform's operator submits it through the Fabric Gateway: the cheapest transaction the
 * network can run, against which bench:ledger measures what consignment:create costs.
 */
import { randomBytes } from 'node:crypto';
import { FabricLedger } from '../../gateway/src/ledger/fabric/fabric-ledger.js';
import { GatewayError } from '../../gateway/src/ledger/port.js';

/** The reference chaincode's one transaction, kv:put, as a platform user submits it (here, through the Fabric Gateway). */
export interface ReferenceChaincode {
  put(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** Connects to the reference chaincode as `mspId`'s operator; `skipped` with the reason when it is not deployed. */
export async function openReference(
  profileDir: string,
  mspId: string,
): Promise<ReferenceChaincode | { readonly skipped: string }> {
  const reference = await FabricLedger.open({ profileDir, mspId, chaincode: 'kv' });
  const identity = await reference.identityProvider().identityFor({ mspId, user: 'bench', role: 'operator' });
  const put = async (key: string, value: string): Promise<void> => {
    await reference.submit(identity, 'kv:put', { arguments: [key, value] });
  };
  try {
    await put(`probe-${randomBytes(4).toString('hex')}`, '1');
  } catch (error) {
    await reference.close();
    if (error instanceof GatewayError) {
      return {
        skipped: `reference chaincode kv not deployed (network/network.sh deploy-reference): ${error.message}`,
      };
    }
    throw error;
  }
  return { put, close: () => reference.close() };
}

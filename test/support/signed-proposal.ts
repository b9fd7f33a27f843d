import { common, msp, peer } from '@hyperledger/fabric-protos';

/**
 * The messages inside a signed proposal, decoded with fabric-protos as a peer decodes them: the
 * oracle for what a proposal's bytes carry, independent of the code that built them.
 */
export function openSignedProposal(signed: peer.SignedProposal) {
  const proposalBytes = signed.getProposalBytes_asU8();
  const proposal = peer.Proposal.deserializeBinary(proposalBytes);
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
  const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  const signatureHeader = common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  const creator = msp.SerializedIdentity.deserializeBinary(signatureHeader.getCreator_asU8());
  const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  const invocation = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8());
  const transient = new Map<string, Buffer>();
  payload.getTransientmapMap().forEach((value: Uint8Array | string, key: string) => {
    transient.set(key, Buffer.from(value as Uint8Array));
  });
  return {
    proposalBytes,
    signature: signed.getSignature_asU8(),
    channelHeader,
    signatureHeader,
    creator,
    certificate: Buffer.from(creator.getIdBytes_asU8()).toString('utf8'),
    spec: invocation.getChaincodeSpec(),
    transient,
  };
}

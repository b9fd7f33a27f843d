/**
 * Where an event is in the ledger: its block, its transaction's place among the block's chaincode
 * events, and its place among the transaction's events (a batch transaction carries many).
 */
export interface Position {
  readonly block: bigint;
  readonly seq: number;
  readonly sub: number;
}

export const atOrBefore = (a: Position, b: Position): boolean =>
  a.block < b.block || (a.block === b.block && (a.seq < b.seq || (a.seq === b.seq && a.sub <= b.sub)));

/**
 * Which organisations joined what (a consignment, a party), each at the first event by which it
 * joined. It covers every consignment on the ledger and lives in memory, so each key holds one
 * string, "MSP block.seq.sub;MSP block.seq.sub": about 150 bytes a consignment where nested Maps
 * of position objects took about 600. MSP ids hold no space or ';' (Fabric names them with
 * letters, digits, '.' and '-').
 */
export class JoinIndex {
  private readonly joins = new Map<string, string>();

  /** Records that the organisation joined the key at this position, unless it joined earlier. */
  join(key: string, mspId: string, at: Position): void {
    const current = this.joins.get(key);
    if (current !== undefined && find(current, mspId) !== undefined) return;
    const entry = `${mspId} ${at.block}.${at.seq}.${at.sub}`;
    this.joins.set(key, current === undefined ? entry : `${current};${entry}`);
  }

  /** Where the organisation joined the key, if it did. */
  joinedAt(key: string, mspId: string): Position | undefined {
    const current = this.joins.get(key);
    return current === undefined ? undefined : find(current, mspId);
  }
}

function find(joins: string, mspId: string): Position | undefined {
  for (const entry of joins.split(';')) {
    const space = entry.indexOf(' ');
    if (entry.slice(0, space) !== mspId) continue;
    const [block, seq, sub] = entry.slice(space + 1).split('.');
    return { block: BigInt(block!), seq: Number(seq), sub: Number(sub) };
  }
  return undefined;
}

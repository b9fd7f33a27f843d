import { common, msp } from '@hyperledger/fabric-protos';

/*
 * Endorsement policies as Fabric's validator evaluates them: the signature policy DSL of
 * `peer lifecycle chaincode --signature-policy` and collection configs, the implicit-meta channel
 * policies (`MAJORITY Endorsement`), and the state-based endorsement parameters fabric-shim writes.
 */

/** Roles a principal can name; `orderer` exists in Fabric's DSL even though orderers never endorse. */
export type PrincipalRole = 'member' | 'admin' | 'client' | 'peer' | 'orderer';

/** The NodeOU classification of a signing identity. */
export type EndorserRole = 'member' | 'peer' | 'admin' | 'client';

export interface Principal {
  readonly mspId: string;
  readonly role: PrincipalRole;
}

export interface Endorser {
  readonly mspId: string;
  readonly role: EndorserRole;
}

/**
 * A compiled signature policy. AND and OR are compiled to OutOf(n, …) exactly as Fabric does, so a
 * tree parsed from text and one decoded from protobuf bytes evaluate alike.
 */
export type SignaturePolicy =
  | { readonly kind: 'signedBy'; readonly principal: Principal }
  | { readonly kind: 'outOf'; readonly n: number; readonly rules: readonly SignaturePolicy[] };

export type ImplicitMetaRule = 'ANY' | 'ALL' | 'MAJORITY';

/** `<RULE> Endorsement` over the channel's application organisations. */
export interface ImplicitMetaPolicy {
  readonly kind: 'implicitMeta';
  readonly rule: ImplicitMetaRule;
  readonly orgs: readonly string[];
}

export type EndorsementPolicy = SignaturePolicy | ImplicitMetaPolicy;

/** The reference a chaincode definition uses for the channel's default endorsement policy. */
export const CHANNEL_ENDORSEMENT_POLICY = '/Channel/Application/Endorsement';

const PRINCIPAL = /^([A-Za-z0-9.-]+)\.(member|admin|client|peer|orderer)$/;
// Fabric registers each gate in its declared, lower and upper case spelling only.
const AND_GATES = new Set(['And', 'and', 'AND']);
const OR_GATES = new Set(['Or', 'or', 'OR']);
const OUT_OF_GATES = new Set(['OutOf', 'outof', 'OUTOF']);

// ---------------------------------------------------------------------------------------------------
// DSL parsing

type Token =
  | { readonly type: 'ident'; readonly value: string; readonly pos: number }
  | { readonly type: 'string'; readonly value: string; readonly pos: number }
  | { readonly type: 'number'; readonly value: string; readonly pos: number }
  | { readonly type: '(' | ')' | ',' | 'end'; readonly pos: number };

class PolicyParser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly text: string) {
    this.tokens = this.tokenize();
  }

  fail(message: string, pos: number): never {
    throw new Error(`invalid signature policy "${this.text}": ${message} at position ${pos}`);
  }

  private tokenize(): Token[] {
    const tokens: Token[] = [];
    const text = this.text;
    let pos = 0;
    while (pos < text.length) {
      const ch = text[pos] as string;
      if (/\s/.test(ch)) {
        pos++;
      } else if (ch === '(' || ch === ')' || ch === ',') {
        tokens.push({ type: ch, pos });
        pos++;
      } else if (ch === "'" || ch === '"') {
        const close = text.indexOf(ch, pos + 1);
        if (close < 0) this.fail(`unterminated string starting with ${ch}`, pos);
        tokens.push({ type: 'string', value: text.slice(pos + 1, close), pos });
        pos = close + 1;
      } else if (/[0-9]/.test(ch)) {
        const match = /^[0-9]+/.exec(text.slice(pos)) as RegExpExecArray;
        tokens.push({ type: 'number', value: match[0], pos });
        pos += match[0].length;
      } else if (/[A-Za-z]/.test(ch)) {
        // Wider than a gate name so that an unquoted principal is reported as such.
        const match = /^[A-Za-z][A-Za-z0-9.-]*/.exec(text.slice(pos)) as RegExpExecArray;
        tokens.push({ type: 'ident', value: match[0], pos });
        pos += match[0].length;
      } else {
        this.fail(`unexpected character '${ch}'`, pos);
      }
    }
    tokens.push({ type: 'end', pos: text.length });
    return tokens;
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.type !== 'end') this.index++;
    return token;
  }

  private expect(type: Token['type'], what: string): Token {
    const token = this.next();
    if (token.type !== type) this.fail(`expected ${what}, found ${describe(token)}`, token.pos);
    return token;
  }

  parsePolicy(): SignaturePolicy {
    const token = this.peek();
    if (token.type !== 'ident') {
      this.fail(
        `a policy must start with AND(...), OR(...) or OutOf(...), found ${describe(token)}`,
        token.pos,
      );
    }
    const policy = this.parseGate();
    const rest = this.peek();
    if (rest.type !== 'end') this.fail(`unexpected ${describe(rest)} after the policy`, rest.pos);
    return policy;
  }

  private parseGate(): SignaturePolicy {
    const name = this.next() as Extract<Token, { type: 'ident' }>;
    const isAnd = AND_GATES.has(name.value);
    const isOr = OR_GATES.has(name.value);
    const isOutOf = OUT_OF_GATES.has(name.value);
    if (!isAnd && !isOr && !isOutOf) {
      this.fail(`unknown gate '${name.value}' (expected AND, OR or OutOf)`, name.pos);
    }
    this.expect('(', `'(' after ${name.value}`);

    let n: number | undefined;
    if (isOutOf) {
      const count = this.next();
      // Fabric accepts the threshold as a number or as a quoted integer.
      if ((count.type !== 'number' && count.type !== 'string') || !/^[0-9]+$/.test(count.value)) {
        this.fail(`OutOf needs an integer threshold first, found ${describe(count)}`, count.pos);
      }
      n = Number(count.value);
      this.expect(',', `',' after the OutOf threshold`);
    }

    const rules: SignaturePolicy[] = [];
    for (;;) {
      rules.push(this.parseArgument());
      const separator = this.next();
      if (separator.type === ')') break;
      if (separator.type !== ',')
        this.fail(`expected ',' or ')', found ${describe(separator)}`, separator.pos);
    }

    if (isAnd) return { kind: 'outOf', n: rules.length, rules };
    if (isOr) return { kind: 'outOf', n: 1, rules };
    const threshold = n as number;
    if (threshold < 1 || threshold > rules.length) {
      this.fail(
        `OutOf threshold ${threshold} must be between 1 and the ${rules.length} rule(s) given`,
        name.pos,
      );
    }
    return { kind: 'outOf', n: threshold, rules };
  }

  private parseArgument(): SignaturePolicy {
    const token = this.peek();
    if (token.type === 'ident') {
      if (PRINCIPAL.test(token.value)) this.fail(`principal ${token.value} must be quoted`, token.pos);
      return this.parseGate();
    }
    if (token.type === 'string') {
      this.next();
      const match = PRINCIPAL.exec(token.value);
      if (!match) {
        this.fail(
          `principal '${token.value}' must be '<MSPID>.member', '.peer', '.admin', '.client' or '.orderer'`,
          token.pos,
        );
      }
      return { kind: 'signedBy', principal: { mspId: match[1] as string, role: match[2] as PrincipalRole } };
    }
    this.fail(`expected a quoted principal or a gate, found ${describe(token)}`, token.pos);
  }
}

function describe(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'end of input';
    case 'ident':
      return `'${token.value}'`;
    case 'string':
      return `string '${token.value}'`;
    case 'number':
      return `number ${token.value}`;
    default:
      return `'${token.type}'`;
  }
}

/** Parses Fabric's signature policy DSL, e.g. `OutOf(2, 'A.peer', AND('B.member', "C.admin"))`. */
export function parseSignaturePolicy(text: string): SignaturePolicy {
  return new PolicyParser(text).parsePolicy();
}

/**
 * Parses a chaincode or collection endorsement policy: the signature DSL, `<ANY|ALL|MAJORITY> Endorsement`,
 * or the channel reference `/Channel/Application/Endorsement`, which is `MAJORITY Endorsement` in
 * Fabric's default channel configuration.
 */
export function parseEndorsementPolicy(text: string, channelOrgs: readonly string[]): EndorsementPolicy {
  const trimmed = text.trim();
  if (trimmed.startsWith('/')) {
    if (trimmed !== CHANNEL_ENDORSEMENT_POLICY) {
      throw new Error(
        `unsupported channel policy reference "${trimmed}" (only ${CHANNEL_ENDORSEMENT_POLICY})`,
      );
    }
    return implicitMeta('MAJORITY', channelOrgs);
  }
  const meta = /^([A-Za-z]+)\s+([A-Za-z]+)$/.exec(trimmed);
  if (meta) {
    const [, rule, subPolicy] = meta as unknown as [string, string, string];
    if (rule !== 'ANY' && rule !== 'ALL' && rule !== 'MAJORITY') {
      throw new Error(`invalid implicit meta policy "${trimmed}": rule must be ANY, ALL or MAJORITY`);
    }
    // Only the organisations' Endorsement sub-policies are modelled; Readers/Writers/Admins never endorse.
    if (subPolicy !== 'Endorsement') {
      throw new Error(
        `invalid implicit meta policy "${trimmed}": only the Endorsement sub-policy is supported`,
      );
    }
    return implicitMeta(rule, channelOrgs);
  }
  return parseSignaturePolicy(trimmed);
}

function implicitMeta(rule: ImplicitMetaRule, channelOrgs: readonly string[]): ImplicitMetaPolicy {
  // Fabric treats a meta policy over no sub-policies as always satisfied; here that is a config mistake.
  if (channelOrgs.length === 0)
    throw new Error(`${rule} Endorsement needs at least one channel organisation`);
  return { kind: 'implicitMeta', rule, orgs: [...new Set(channelOrgs)] };
}

// ---------------------------------------------------------------------------------------------------
// State-based endorsement parameters

const ROLE_BY_CODE: Record<number, PrincipalRole> = {
  [msp.MSPRole.MSPRoleType.MEMBER]: 'member',
  [msp.MSPRole.MSPRoleType.ADMIN]: 'admin',
  [msp.MSPRole.MSPRoleType.CLIENT]: 'client',
  [msp.MSPRole.MSPRoleType.PEER]: 'peer',
  [msp.MSPRole.MSPRoleType.ORDERER]: 'orderer',
};

/**
 * Decodes a key's validation parameter (a serialized common.SignaturePolicyEnvelope, as written by
 * fabric-shim's KeyEndorsementPolicy). An empty parameter means "no key-level policy"; callers check
 * for that first, so here it is an error.
 */
export function decodeValidationParameter(bytes: Uint8Array): SignaturePolicy {
  if (bytes.length === 0) throw new Error('empty validation parameter: the key has no key-level policy');
  let envelope: common.SignaturePolicyEnvelope;
  try {
    envelope = common.SignaturePolicyEnvelope.deserializeBinary(bytes);
  } catch (err) {
    throw new Error(`validation parameter is not a SignaturePolicyEnvelope: ${(err as Error).message}`);
  }
  const principals = envelope.getIdentitiesList().map((identity, index): Principal => {
    if (identity.getPrincipalClassification() !== msp.MSPPrincipal.Classification.ROLE) {
      // OU and identity principals need certificate details the embedded ledger does not evaluate.
      throw new Error(
        `validation parameter identity ${index} has classification ${identity.getPrincipalClassification()}; only ROLE is supported`,
      );
    }
    const role = msp.MSPRole.deserializeBinary(identity.getPrincipal_asU8());
    const name = ROLE_BY_CODE[role.getRole()];
    if (name === undefined)
      throw new Error(`validation parameter identity ${index} has unknown role ${role.getRole()}`);
    return { mspId: role.getMspIdentifier(), role: name };
  });
  const rule = envelope.getRule();
  if (!rule) throw new Error('validation parameter has no rule');
  return convertRule(rule, principals);
}

function convertRule(rule: common.SignaturePolicy, principals: readonly Principal[]): SignaturePolicy {
  if (rule.hasSignedBy()) {
    const index = rule.getSignedBy();
    const principal = principals[index];
    if (!principal) {
      throw new Error(
        `identity index out of range, requested ${index}, but identities length is ${principals.length}`,
      );
    }
    return { kind: 'signedBy', principal };
  }
  const outOf = rule.getNOutOf();
  if (!outOf) throw new Error('validation parameter rule is neither signed_by nor n_out_of');
  return {
    kind: 'outOf',
    n: outOf.getN(),
    rules: outOf.getRulesList().map((r) => convertRule(r, principals)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Evaluation

function satisfies(endorser: Endorser, principal: Principal): boolean {
  if (endorser.mspId !== principal.mspId) return false;
  return principal.role === 'member' || principal.role === endorser.role;
}

/*
 * A transcription of Fabric's cauthdsl evaluation, greedy and order-dependent as it is: a signedBy
 * claims the first unused identity that satisfies it, and an OutOf evaluates every child (no early
 * exit) on a scratch copy of the claims, keeping a child's claims only if that child succeeded.
 * Matching Fabric's greediness matters for overlapping principals such as AND('A.member','A.peer').
 */
function evaluateSignature(rule: SignaturePolicy, endorsers: readonly Endorser[], used: boolean[]): boolean {
  if (rule.kind === 'signedBy') {
    for (const [i, endorser] of endorsers.entries()) {
      if (used[i]) continue;
      if (satisfies(endorser, rule.principal)) {
        used[i] = true;
        return true;
      }
    }
    return false;
  }
  let verified = 0;
  const scratch = [...used];
  for (const child of rule.rules) {
    scratch.splice(0, scratch.length, ...used);
    if (evaluateSignature(child, endorsers, scratch)) {
      verified++;
      used.splice(0, used.length, ...scratch);
    }
  }
  return verified >= rule.n;
}

/** How many organisations an implicit meta rule needs, as Fabric computes it. */
export function implicitMetaThreshold(rule: ImplicitMetaRule, orgCount: number): number {
  if (rule === 'ANY') return 1;
  if (rule === 'ALL') return orgCount;
  return Math.floor(orgCount / 2) + 1;
}

/**
 * True if the endorsers satisfy the policy. Pass one entry per distinct signing identity: Fabric drops
 * duplicate signatures before evaluating, and each identity satisfies at most one principal.
 */
export function evaluatePolicy(policy: EndorsementPolicy, endorsers: readonly Endorser[]): boolean {
  if (policy.kind !== 'implicitMeta') {
    return evaluateSignature(policy, endorsers, new Array<boolean>(endorsers.length).fill(false));
  }
  // Each organisation's Endorsement sub-policy is Fabric's configtx default, OR('<MSP>.peer'); every
  // sub-policy sees all signatures afresh.
  const endorsed = policy.orgs.filter((mspId) =>
    endorsers.some((e) => e.mspId === mspId && e.role === 'peer'),
  );
  return endorsed.length >= implicitMetaThreshold(policy.rule, policy.orgs.length);
}

// ---------------------------------------------------------------------------------------------------
// Inspection

/** The MSP ids a policy names, in first-mention order (a collection's members are those of its policy). */
export function policyMspIds(policy: EndorsementPolicy): string[] {
  if (policy.kind === 'implicitMeta') return [...policy.orgs];
  const ids = new Set<string>();
  const walk = (rule: SignaturePolicy): void => {
    if (rule.kind === 'signedBy') ids.add(rule.principal.mspId);
    else rule.rules.forEach(walk);
  };
  walk(policy);
  return [...ids];
}

/** Renders a policy in the DSL (OutOf with n = 1 as OR, n = all as AND), for messages and logs. */
export function formatPolicy(policy: EndorsementPolicy): string {
  if (policy.kind === 'implicitMeta') return `${policy.rule} Endorsement`;
  if (policy.kind === 'signedBy') return `'${policy.principal.mspId}.${policy.principal.role}'`;
  const rules = policy.rules.map(formatPolicy).join(', ');
  if (policy.n === 1) return `OR(${rules})`;
  if (policy.n === policy.rules.length) return `AND(${rules})`;
  return `OutOf(${policy.n}, ${rules})`;
}

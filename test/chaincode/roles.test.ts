import { describe, expect, it } from 'vitest';

import { ORG_ROLES, type OrgRole } from '../../chaincode/src/domain/collections.js';
import {
  assertPurpose,
  purposeAllowed,
  purposeNames,
  purposesForRole,
} from '../../chaincode/src/domain/purposes.js';
import { assertAllowed, isAllowed, permissions, type Action } from '../../chaincode/src/domain/roles.js';

const allowed: Record<Action, OrgRole[]> = {
  createConsignment: ['platform', 'post', 'express'],
  submitOrder: ['platform'],
  submitPayment: ['platform', 'payment'],
  submitLogistics: ['post', 'express'],
  recordMovement: ['post', 'express'],
  submitDeclaration: ['platform', 'post', 'express'],
  requestReturn: ['platform'],
  shipReturn: ['post', 'express'],
  scanReturn: ['post', 'express'],
  refundReturn: ['platform', 'payment'],
  decideReturn: ['customs'],
  registerParty: ['platform'],
  erasePersonalData: ['platform', 'payment', 'post', 'express'],
  setTrustedTrader: ['customs'],
  readTrustedTraders: ['customs'],
  setTrustedOperator: ['customs'],
  readTrustedOperators: ['customs'],
  flagParty: ['customs'],
  recordDecision: ['customs'],
  manageCustomsConfig: ['customs'],
  assessConsignment: ['customs'],
  readAssessment: ['customs'],
  recordRemittance: ['platform'],
  readRemittances: ['platform', 'customs'],
  answerReferral: ['platform', 'payment', 'post', 'express'],
  readConsignment: ['platform', 'payment', 'post', 'express', 'customs', 'auditor'],
  readParty: ['platform', 'payment', 'post', 'express', 'customs', 'auditor'],
};

describe('role permissions', () => {
  it('has exactly the expected actions', () => {
    expect(Object.keys(permissions).sort()).toEqual(Object.keys(allowed).sort());
  });

  const cells = (Object.keys(allowed) as Action[]).flatMap((action) =>
    ORG_ROLES.map((role) => [action, role, allowed[action].includes(role)] as const),
  );

  it.each(cells)('%s by %s: %s', (action, role, ok) => {
    expect(isAllowed(action, role)).toBe(ok);
    const caller = { mspId: 'SomeMSP', role };
    if (ok) {
      expect(() => assertAllowed(action, caller)).not.toThrow();
    } else {
      expect(() => assertAllowed(action, caller)).toThrow(
        `${action} is not allowed for SomeMSP (role ${role}); allowed roles: ${permissions[action].join(', ')}`,
      );
    }
  });
});

describe('purposes', () => {
  const table: Record<string, OrgRole[]> = {
    risk_assessment: ['customs'],
    revenue_assessment: ['customs'],
    clearance: ['customs'],
    legal_request: ['customs'],
    delivery: ['post', 'express'],
    return_processing: ['platform', 'payment', 'post', 'express'],
    dispute_resolution: ['platform', 'payment'],
    audit: ['auditor', 'customs', 'platform', 'payment', 'post', 'express'],
    data_subject_request: ['platform'],
  };

  it('lists the fixed purposes', () => {
    expect([...purposeNames].sort()).toEqual(Object.keys(table).sort());
  });

  it.each(purposeNames.flatMap((p) => ORG_ROLES.map((r) => [p, r, table[p]!.includes(r)] as const)))(
    '%s for %s: %s',
    (purpose, role, ok) => {
      expect(purposeAllowed(purpose, role)).toBe(ok);
      const caller = { mspId: 'XMSP', role };
      if (ok) expect(assertPurpose(purpose, caller)).toBe(purpose);
      else
        expect(() => assertPurpose(purpose, caller)).toThrow(
          `purpose '${purpose}' is not allowed for XMSP (role ${role})`,
        );
    },
  );

  it('refuses unknown purposes and lists the known ones', () => {
    expect(() => assertPurpose('curiosity', { mspId: 'CustomsMSP', role: 'customs' })).toThrow(
      /^unknown purpose 'curiosity'; known purposes: risk_assessment, /,
    );
  });

  it('gives auditors only the audit purpose', () => {
    expect(purposesForRole('auditor')).toEqual(['audit']);
  });
});

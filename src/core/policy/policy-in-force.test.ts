import { describe, expect, it } from 'vitest';
import { policyInForce } from './policy-in-force.ts';
import type { PolicySummary, Status } from '../status/status.ts';

const AT = '2026-12-07T10:00:00.000Z';
const summary = (serial: number, expired = false): PolicySummary => ({
  serial,
  issuer: null,
  contact: null,
  issued: AT,
  expires: AT,
  payloadHash: 'h',
  signers: [],
  verifiedAt: AT,
  expired,
});
const status = (
  over: Partial<Pick<Status, 'mode' | 'policy' | 'applied'>>,
): Pick<Status, 'mode' | 'policy' | 'applied'> => ({
  mode: 'enforcing',
  policy: summary(43),
  applied: { serial: 43, error: null },
  ...over,
});

describe('policyInForce', () => {
  it('names the verified serial once its rules are installed', () => {
    expect(policyInForce(status({}))).toEqual({ serial: 43, pending: null });
  });

  it('keeps naming the installed serial while a newer verified one is being installed', () => {
    expect(policyInForce(status({ applied: { serial: 42, error: null } }))).toEqual({
      serial: 42,
      pending: { serial: 43, error: null },
    });
  });

  it('names no serial in force before the first rules are installed', () => {
    expect(policyInForce(status({ applied: null }))).toEqual({ serial: null, pending: { serial: 43, error: null } });
  });

  it('says the newer serial failed to apply and the old one stays when the browser refused its rules', () => {
    const applied = { serial: 42, error: 'the browser refused the network rules: too many rules' };
    expect(policyInForce(status({ applied }))).toEqual({ serial: 42, pending: { serial: 43, error: applied.error } });
  });

  it('is not pending when the same serial was re-installed, even after a refused re-install', () => {
    expect(policyInForce(status({ applied: { serial: 43, error: 'refused' } }))).toEqual({ serial: 43, pending: null });
  });

  it('leaves fail modes, expired policies and older workers to the verified policy as before', () => {
    const applied = { serial: null, error: null };
    expect(policyInForce(status({ mode: 'fail-closed', applied }))).toEqual({ serial: 43, pending: null });
    expect(policyInForce(status({ policy: summary(43, true), applied }))).toEqual({ serial: 43, pending: null });
    expect(policyInForce(status({ applied: undefined }))).toEqual({ serial: 43, pending: null });
    expect(policyInForce(status({ policy: null, applied }))).toEqual({ serial: null, pending: null });
  });
});

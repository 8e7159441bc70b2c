/**
 * The case engine: cases, consents, referrals and transfers, field-level permissions and a hash-chained
 * audit log, for any program that serves persons (the social desk first, child protection next). A
 * program brings its Policy, forms and purposes; this is its public surface — programs import from here.
 */
import { migrationsIn, type Migration } from '../../platform/db/migrator.ts';

export { AuditLog } from './audit-log.ts';
export { canonicalJson, chain, GENESIS_HASH, verifyChain, type AuditEntry, type ChainedEntry, type VerifyResult } from './audit-chain.ts';
export { runAuditCli, AUDIT_USAGE } from './cli.ts';
export { CaseEngine, loadIdentityKey, type AccessContext, type ConsentInput, type EngineConfig, type EngineEvent, type PersonInput } from './engine.ts';
export { CaseErrors } from './errors.ts';
export { schemaProblems, validateFormData, type FieldError, type FormDefinition } from './form-schema.ts';
export { duplicateReasons, nationalIdHash, normalizeNationalId } from './identity.ts';
export { CASE_STATES, REFERRAL_STATES, type CaseState, type ReferralKind, type ReferralState } from './lifecycle.ts';
export { authorize, visibleFields, type Decision, type Policy, type Scope, type Target } from './permissions.ts';
export { CaseStore } from './store.ts';

export const caseMigrations = (): Migration[] => migrationsIn('cases', new URL('./migrations/', import.meta.url));

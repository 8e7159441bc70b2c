/**
 * Who may do what in the social desk, and see which fields: the permission matrix of the case engine's
 * first configuration, as data. docs/social.md prints it as a table; policy.test.ts checks every cell.
 */
import type { Policy } from '../cases/index.ts';

export const SOCIAL_ACTIONS = [
  'case.create',
  'case.list',
  'case.read',
  'case.update',
  'case.assign',
  'case.close',
  'case.reopen',
  'note.add',
  'followup.add',
  'service.record',
  'attachment.add',
  'attachment.read',
  'consent.record',
  'consent.withdraw',
  'orientation.rank',
  'orientation.choose',
  'referral.send',
  'referral.cancel',
  'referral.accept',
  'referral.decline',
  'referral.complete',
  'transfer.send',
  'transfer.accept',
  'transfer.decline',
  'inbox.read',
  'centre.update',
  'dashboard.read',
  'indicators.publish',
  'audit.read',
] as const;
export type SocialAction = (typeof SOCIAL_ACTIONS)[number];

export const SOCIAL_FIELDS = [
  'person.givenName',
  'person.familyName',
  'person.birthDate',
  'person.sex',
  'person.phone',
  'person.address',
  'person.placeCode',
  'case.needs',
  'case.functioning',
  'case.situation',
  'case.notes',
  'case.followups',
  'case.services',
  'case.attachments',
  'case.consents',
  'case.duplicates',
] as const;
export type SocialField = (typeof SOCIAL_FIELDS)[number];

/** The roles of the desk (administrators may do everything). */
export const DESK_ROLES = ['desk-agent', 'centre-worker', 'centre-manager', 'supervisor', 'administrator'] as const;

const staff = ['desk-agent', 'centre-worker', 'centre-manager'] as const;

export const SOCIAL_POLICY: Policy<SocialAction, SocialField> = {
  actions: {
    'case.create': { 'desk-agent': ['commune'], 'centre-worker': ['commune'], 'centre-manager': ['commune'] },
    'case.list': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'], supervisor: ['commune'] },
    'case.read': { 'desk-agent': ['commune'], 'centre-worker': ['owner', 'receiver'], 'centre-manager': ['owner', 'receiver'], supervisor: ['commune'] },
    'case.update': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'case.assign': { 'desk-agent': ['commune'], 'centre-manager': ['owner'] },
    'case.close': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'case.reopen': { 'desk-agent': ['commune'], 'centre-manager': ['owner'], supervisor: ['commune'] },
    'note.add': { 'desk-agent': ['commune'], 'centre-worker': ['owner', 'receiver'], 'centre-manager': ['owner', 'receiver'] },
    'followup.add': { 'desk-agent': ['commune'], 'centre-worker': ['owner', 'receiver'], 'centre-manager': ['owner', 'receiver'] },
    'service.record': { 'centre-worker': ['owner', 'receiver'], 'centre-manager': ['owner', 'receiver'] },
    'attachment.add': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'attachment.read': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'consent.record': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'consent.withdraw': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'orientation.rank': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'orientation.choose': { 'desk-agent': ['commune'], 'centre-manager': ['owner'] },
    'referral.send': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'referral.cancel': { 'desk-agent': ['commune'], 'centre-worker': ['owner'], 'centre-manager': ['owner'] },
    'referral.accept': { 'centre-worker': ['receiver'], 'centre-manager': ['receiver'] },
    'referral.decline': { 'centre-manager': ['receiver'] },
    'referral.complete': { 'centre-worker': ['receiver'], 'centre-manager': ['receiver'] },
    'transfer.send': { 'desk-agent': ['commune'], 'centre-manager': ['owner'] },
    'transfer.accept': { 'centre-manager': ['receiver'] },
    'transfer.decline': { 'centre-manager': ['receiver'] },
    'inbox.read': { 'centre-worker': ['centre'], 'centre-manager': ['centre'] },
    'centre.update': { 'centre-manager': ['centre'] },
    'dashboard.read': { supervisor: ['any'] },
    'indicators.publish': { supervisor: ['any'] },
    'audit.read': { supervisor: ['any'] },
  },
  fields: {
    'person.givenName': staff,
    'person.familyName': staff,
    'person.birthDate': staff,
    'person.sex': [...staff, 'supervisor'],
    'person.phone': staff,
    'person.address': staff,
    'person.placeCode': [...staff, 'supervisor'],
    'case.needs': [...staff, 'supervisor'],
    'case.functioning': [...staff, 'supervisor'],
    'case.situation': staff,
    'case.notes': staff,
    'case.followups': [...staff, 'supervisor'],
    'case.services': [...staff, 'supervisor'],
    'case.attachments': staff,
    'case.consents': [...staff, 'supervisor'],
    'case.duplicates': ['desk-agent', 'centre-manager'],
  },
  shareable: ['person.givenName', 'person.familyName', 'person.birthDate', 'person.sex', 'person.phone', 'person.address', 'person.placeCode', 'case.needs', 'case.functioning', 'case.situation'],
};

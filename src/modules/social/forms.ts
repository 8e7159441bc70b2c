/** The desk's intake form, as versioned JSON Schema. A new version is appended; old cases keep theirs. */
import type { FormDefinition } from '../cases/index.ts';
import { DOMAINS, SERVICES } from './vocabulary.ts';

export const INTAKE_FORM_ID = 'social-desk-intake';

const level = { enum: ['none', 'some', 'a-lot', 'cannot'] };

export const INTAKE_FORMS: FormDefinition[] = [
  {
    id: INTAKE_FORM_ID,
    version: 1,
    title: { fr: 'Accueil au guichet unique social', ar: 'الاستقبال بالشباك الاجتماعي الموحد', en: 'One-stop social desk intake' },
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['needs', 'functioning'],
      properties: {
        needs: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SERVICES] } },
        functioning: { type: 'object', additionalProperties: false, properties: Object.fromEntries(DOMAINS.map((d) => [d, level])) },
        livingSituation: { enum: ['with-family', 'alone', 'institution', 'no-stable-housing', 'other'] },
        schooling: { enum: ['not-applicable', 'none', 'mainstream', 'inclusive', 'special', 'dropped-out'] },
        employment: { enum: ['not-applicable', 'employed', 'unemployed', 'student', 'unable-to-work'] },
        assistiveDevices: { type: 'array', uniqueItems: true, items: { enum: ['wheelchair', 'walking-aid', 'hearing-aid', 'glasses', 'white-cane', 'prosthesis', 'other'] } },
        disabilityCard: { type: 'boolean' },
        story: { type: 'string', maxLength: 4000 },
      },
    },
  },
];

import { describe, expect, it } from 'vitest';
import { canMove, isClosed, open311Status, STATES, statusNotes, TRANSITIONS } from './workflow.ts';

describe('request workflow', () => {
  it('maps the internal states to Open311 open/closed', () => {
    expect(STATES.map((s) => [s, open311Status(s)])).toEqual([
      ['submitted', 'open'],
      ['acknowledged', 'open'],
      ['assigned', 'open'],
      ['in_progress', 'open'],
      ['fixed', 'closed'],
      ['closed', 'closed'],
      ['duplicate', 'closed'],
    ]);
  });

  it('allows reopening a fixed request but not jumping back to submitted', () => {
    expect(canMove('fixed', 'in_progress')).toBe(true);
    expect(canMove('closed', 'acknowledged')).toBe(true);
    for (const s of STATES) expect(canMove(s, 'submitted')).toBe(false);
    expect(canMove('in_progress', 'duplicate')).toBe(false);
  });

  it('only names known states as targets', () => {
    for (const targets of Object.values(TRANSITIONS)) for (const t of targets) expect(STATES).toContain(t);
    expect(isClosed('duplicate')).toBe(true);
  });

  it('writes the finer state and the public note into status_notes', () => {
    expect(statusNotes('in_progress', 'Team on site Tuesday')).toBe('In progress: Team on site Tuesday');
    expect(statusNotes('acknowledged')).toBe('Acknowledged');
  });
});

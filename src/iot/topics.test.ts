import { describe, expect, it } from 'vitest';
import { commandTopic, parseTopic } from './topics.ts';

describe('parseTopic', () => {
  it('reads the JSON agent topic with the /json prefix', () => {
    expect(parseTopic('/json/key1/lamp-7/attrs')).toEqual({ kind: 'attrs', apikey: 'key1', deviceId: 'lamp-7' });
  });

  it('reads the legacy topic without the prefix', () => {
    expect(parseTopic('/key1/lamp-7/attrs')).toEqual({ kind: 'attrs', apikey: 'key1', deviceId: 'lamp-7' });
  });

  it('reads a single-attribute topic with its object_id', () => {
    expect(parseTopic('/json/key1/bin-3/attrs/f')).toEqual({ kind: 'attr', apikey: 'key1', deviceId: 'bin-3', objectId: 'f' });
    expect(parseTopic('/key1/bin-3/attrs/f')).toEqual({ kind: 'attr', apikey: 'key1', deviceId: 'bin-3', objectId: 'f' });
  });

  it('reads command results', () => {
    expect(parseTopic('/json/k/d/cmdexe')).toEqual({ kind: 'cmdexe', apikey: 'k', deviceId: 'd' });
    expect(parseTopic('/k/d/cmdexe')).toEqual({ kind: 'cmdexe', apikey: 'k', deviceId: 'd' });
  });

  it('ignores topics that are not the agent s', () => {
    expect(parseTopic('json/k/d/attrs')).toBeUndefined();
    expect(parseTopic('/k/d/cmd')).toBeUndefined();
    expect(parseTopic('/json/k/d/attrs/a/b')).toBeUndefined();
    expect(parseTopic('/k//attrs')).toBeUndefined();
    expect(parseTopic('/json/k/d/configuration/commands')).toBeUndefined();
  });

  it('builds the command topic a device subscribes to', () => {
    expect(commandTopic('key1', 'lamp-7')).toBe('/key1/lamp-7/cmd');
  });
});

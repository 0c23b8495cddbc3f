import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderText } from '../lib/index.js';
import { customIssue, schemaMessage, textOfZodIssue } from './messages.js';

describe('schema messages', () => {
  it('are found again from the English text zod keeps, and said in French', () => {
    const schema = z.string().regex(/^\d+$/, { error: schemaMessage('schema.calendarId') });
    const issue = schema.safeParse('x').error?.issues[0];
    expect(issue?.message).toBe('expected 24 hexadecimal characters');
    expect(issue && renderText(textOfZodIssue(issue), 'fr')).toBe('attendu : 24 caractères hexadécimaux');
  });

  it('carry a refinement’s text with its values in the issue', () => {
    const schema = z.array(z.string()).superRefine((names, ctx) => {
      if (names[0] === names[1]) ctx.addIssue(customIssue([1], 'schema.watcherTaken', { name: names[1] ?? '' }));
    });
    const issue = schema.safeParse(['a', 'a']).error?.issues[0];
    expect(issue?.message).toBe('another slot watcher is already named "a"');
    expect(issue && renderText(textOfZodIssue(issue), 'fr')).toBe('une autre surveillance de créneaux s’appelle déjà "a"');
  });

  it('leave zod’s own wording to zod’s locales, and an unknown text as it is', () => {
    const tooSmall = z.number().min(3).safeParse(1).error?.issues[0];
    expect(tooSmall && renderText(textOfZodIssue(tooSmall), 'en')).toBe('Too small: expected number to be >=3');
    expect(tooSmall && renderText(textOfZodIssue(tooSmall), 'fr')).toMatch(/^Trop petit : .*>=3$/);
    const other = z
      .string()
      .refine(() => false, { error: 'some text of nobody' })
      .safeParse('x').error?.issues[0];
    expect(other && renderText(textOfZodIssue(other), 'fr')).toBe('some text of nobody');
  });
});

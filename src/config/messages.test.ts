import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderText } from '../lib/index.js';
import { configWarning, customIssue, schemaMessage, textOfZodIssue, warningIn } from './messages.js';

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

describe('config warnings', () => {
  it('keep their English text and are said in French by validate', () => {
    const w = configWarning('slotsNoNotify');
    expect(w).toBe('slots are watched but there is no notify channel: new slots only reach the log');
    expect(warningIn(w, 'fr')).toBe('des créneaux sont surveillés mais il n’y a aucun canal notify : les nouveaux créneaux n’arrivent que dans le journal');
    expect(warningIn(w, 'en')).toBe(w);
    expect(warningIn('a warning of nobody', 'fr')).toBe('a warning of nobody');
  });
  it('remember a bounded number of wordings, the newest', () => {
    const first = configWarning('calcomV1Watcher', { name: 'w-0' });
    for (let i = 1; i <= 600; i++) configWarning('calcomV1Watcher', { name: `w-${i}` });
    expect(warningIn(first, 'fr')).toBe(first);
    expect(warningIn(configWarning('calcomV1Watcher', { name: 'w-600' }), 'fr')).toMatch(
      /^surveillance de créneaux "w-600" : apiVersion v1 : Cal\.com a arrêté/,
    );
  });
});

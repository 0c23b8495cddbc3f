import { describe, expect, it } from 'vitest';
import { secretsInConfigText } from './raw-secrets.js';

describe('secretsInConfigText', () => {
  it('finds the secrets of a config the loader refuses, and the pieces of a malformed webhook URL', () => {
    const text = [
      'moncampus:',
      '  username: alice',
      '  password: "Tr0ub4dor&3"',
      'ecal:',
      '  apiKey: key-0123456789',
      '  apiSecret: 0123456789',
      'notify:',
      '  - type: discord-webhook',
      '    url: https://discord.com/api/webhooks/123456789012345678/aBcDeFgHiJkLmNoPqRsTuVwXyZ 0123456789',
      '  - type: wat',
      '    url: json://hooks.local/path?token=Zz9-secret-token-value',
    ].join('\n');
    const found = secretsInConfigText(text);
    expect(found).toEqual(expect.arrayContaining(['Tr0ub4dor&3', 'key-0123456789', '0123456789', 'aBcDeFgHiJkLmNoPqRsTuVwXyZ', 'Zz9-secret-token-value']));
    expect(found).not.toContain('alice');
  });

  it('still reads secret lines from a text that is not YAML', () => {
    const found = secretsInConfigText('moncampus:\n  password: "P@ssw0rd-here"\n  oops: [unclosed\nurl: https://h.example/x/longtokenvalue123\n');
    expect(found).toEqual(expect.arrayContaining(['P@ssw0rd-here', 'longtokenvalue123']));
  });

  it('gives nothing for a config with no secret', () => {
    expect(secretsInConfigText('timezone: Europe/Paris\nschedule: "0 6 * * *"\n')).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { AuthError, ConfigError, TransientError, describeError, isRetryable } from './errors.js';

describe('typed errors', () => {
  it('say whether a retry makes sense', () => {
    expect(isRetryable(new TransientError('timeout'))).toBe(true);
    expect(isRetryable(new AuthError('refused', { phase: 'login' }))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(new ConfigError('x').phase).toBe('config');
    expect(new AuthError('refused').name).toBe('AuthError');
    expect(describeError('text')).toBe('text');
  });
});

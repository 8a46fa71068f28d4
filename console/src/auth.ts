import { useEffect, useState } from 'preact/hooks';
import type { Credentials } from './sigv4.js';

/**
 * Whether the service wants signed requests, and the keys this tab signs with. `unknown` until the
 * health route has answered; `sigv4` when it says so, or when an unsigned call is refused for want of a
 * signature (a service whose health route does not tell).
 *
 * The keys live in sessionStorage only (this tab, until sign-out or the tab closes), never in
 * localStorage, and never travel: requests carry signatures made from them.
 */
export type AuthMode = 'unknown' | 'off' | 'sigv4';

export interface AuthState {
  mode: AuthMode;
  credentials: Credentials | undefined;
}

const STORAGE_KEY = 'profileflow.console.credentials';

/** The answers of a service that wants a (valid) signature. */
export const SIGNATURE_ERRORS = new Set([
  'MissingAuthenticationTokenException',
  'IncompleteSignatureException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

let state: AuthState = { mode: 'unknown', credentials: readStored() };
const listeners = new Set<() => void>();

function readStored(): Credentials | undefined {
  try {
    const text = sessionStorage.getItem(STORAGE_KEY);
    if (!text) return undefined;
    const value = JSON.parse(text) as Partial<Credentials>;
    if (typeof value.accessKeyId !== 'string' || typeof value.secretAccessKey !== 'string') return undefined;
    return {
      accessKeyId: value.accessKeyId,
      secretAccessKey: value.secretAccessKey,
      ...(typeof value.sessionToken === 'string' && value.sessionToken ? { sessionToken: value.sessionToken } : {}),
    };
  } catch {
    return undefined;
  }
}

function update(next: Partial<AuthState>): void {
  state = { ...state, ...next };
  listeners.forEach((l) => l());
}

/** The keys to sign with, only while the service wants signatures. */
export function signingCredentials(): Credentials | undefined {
  return state.mode === 'off' ? undefined : state.credentials;
}

export function setAuthMode(mode: 'off' | 'sigv4'): void {
  if (state.mode !== mode) update({ mode });
}

export function signIn(credentials: Credentials): void {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
  } catch {
    // storage disabled: signed in for as long as this page lives
  }
  update({ credentials, mode: 'sigv4' });
}

export function signOut(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
  update({ credentials: undefined });
}

export function useAuth(): AuthState {
  const [current, setCurrent] = useState(state);
  useEffect(() => {
    const changed = () => setCurrent(state);
    listeners.add(changed);
    changed();
    return () => {
      listeners.delete(changed);
    };
  }, []);
  return current;
}

/** How the pages name the account they read. */
export function accountPhrase(): string {
  const { credentials } = state;
  return state.mode === 'sigv4' && credentials ? `the account of access key ${credentials.accessKeyId}` : 'account 000000000000';
}

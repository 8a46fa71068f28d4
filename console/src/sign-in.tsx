import { useState } from 'preact/hooks';
import { aws } from './api.js';
import { signIn, signOut } from './auth.js';
import { ErrorNotice } from './components.js';
import { canSign, type Credentials } from './sigv4.js';
import type { ListDomains } from './wire.js';

/**
 * Keys for a service that runs `--auth sigv4`. They are tried with one signed ListDomains in the
 * console's region before being kept (in sessionStorage: this tab only), so wrong keys answer here,
 * with the service's own error. The fields are not controlled: the secret is never rendered.
 */
export function SignInPanel({ region }: { region: string }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const usable = canSign();

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement);
    const credentials: Credentials = {
      accessKeyId: field('accessKeyId').value.trim(),
      secretAccessKey: field('secretAccessKey').value.trim(),
    };
    const sessionToken = field('sessionToken').value.trim();
    if (sessionToken) credentials.sessionToken = sessionToken;
    setBusy(true);
    setError(undefined);
    try {
      await aws<ListDomains>({ region, method: 'GET', path: '/domains', query: { 'max-results': 1 }, credentials });
      signIn(credentials);
    } catch (err) {
      field('secretAccessKey').value = '';
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p class="lead">
        This service verifies AWS Signature Version 4 (<code>--auth sigv4</code>). Enter an access key from its credentials; the
        console signs every request with it, in <strong>{region}</strong> (the Region field above).
      </p>
      {!usable && (
        <div class="notice error" role="alert">
          <strong>This page cannot sign.</strong> Browsers offer the cryptography signing needs (WebCrypto) only to pages
          served over HTTPS or from localhost: open the console through HTTPS or an SSH tunnel to 127.0.0.1.
        </div>
      )}
      <ErrorNotice error={error} what="sign in" />
      <form class="sign-in-form card" onSubmit={submit}>
        <label>
          Access key ID
          <input name="accessKeyId" autocomplete="username" spellcheck={false} required />
        </label>
        <label>
          Secret access key
          <input name="secretAccessKey" type="password" autocomplete="current-password" required />
        </label>
        <label>
          <span>
            Session token <span class="small">(optional)</span>
          </span>
          <input name="sessionToken" type="password" autocomplete="off" />
        </label>
        <div>
          <button type="submit" disabled={busy || !usable}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </div>
      </form>
      <p class="muted small">
        The keys stay in this browser tab (sessionStorage) until you sign out or close it. They are never sent: requests carry
        only signatures made from them.
      </p>
    </section>
  );
}

/** Who the console signs as, and the way out (which forgets the keys). */
export function SignedInAs({ accessKeyId }: { accessKeyId: string }) {
  return (
    <div class="signed-in">
      <span class="muted small" title="Requests are signed with this access key">
        <code>{accessKeyId}</code>
      </span>
      <button type="button" class="link" onClick={signOut}>
        Sign out
      </button>
    </div>
  );
}

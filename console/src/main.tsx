import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { health, isRegion, KNOWN_REGIONS, storedRegion, storeRegion } from './api.js';
import { setAuthMode, useAuth } from './auth.js';
import { ConnectorProfilesPage } from './connector-profiles.js';
import { DomainsPage } from './domains.js';
import { FlowPage, FlowsPage } from './flows.js';
import { uri } from './format.js';
import { ObjectTypePage, ObjectTypesPage } from './object-types.js';
import { ProfilePage } from './profile.js';
import { ProfilesPage } from './profiles.js';
import { SignedInAs, SignInPanel } from './sign-in.js';
import { Link, type Location, match, navigate, useLocation } from './router.js';
import { WORKFLOW_STATUSES, type Status } from './wire.js';
import { WorkflowPage } from './workflow.js';
import { WorkflowsPage } from './workflows.js';
import './styles.css';

const DEFAULT_PAGE_SIZE = 25;

function pageSizeOf(query: URLSearchParams): number {
  const n = Number(query.get('pageSize'));
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : DEFAULT_PAGE_SIZE;
}

function statusOf(query: URLSearchParams): Status | undefined {
  const s = query.get('status');
  return WORKFLOW_STATUSES.find((known) => known === s);
}

function Page({ at, region }: { at: Location; region: string }) {
  const pageSize = pageSizeOf(at.query);
  let m: Record<string, string> | undefined;
  if (at.path === '/' || at.path === '/domains') return <DomainsPage region={region} pageSize={pageSize} />;
  if (at.path === '/connector-profiles') return <ConnectorProfilesPage />;
  if (at.path === '/flows') return <FlowsPage region={region} pageSize={pageSize} />;
  if ((m = match('/flows/:name', at.path))) return <FlowPage key={m.name} region={region} flowName={m.name} />;
  if ((m = match('/domains/:domain', at.path))) {
    // The domain's first section is its workflows.
    return <Redirect to={uri`/domains/${m.domain}/workflows`} />;
  }
  if ((m = match('/domains/:domain/workflows', at.path))) {
    return <WorkflowsPage region={region} pageSize={pageSize} domain={m.domain} status={statusOf(at.query)} />;
  }
  if ((m = match('/domains/:domain/workflows/:id', at.path))) {
    return <WorkflowPage key={m.id} region={region} domain={m.domain} workflowId={m.id} />;
  }
  if ((m = match('/domains/:domain/object-types', at.path))) {
    return <ObjectTypesPage region={region} pageSize={pageSize} domain={m.domain} />;
  }
  if ((m = match('/domains/:domain/object-types/:name', at.path))) {
    return <ObjectTypePage region={region} domain={m.domain} name={m.name} />;
  }
  if ((m = match('/domains/:domain/profiles', at.path))) {
    return <ProfilesPage region={region} pageSize={pageSize} domain={m.domain} keyName={at.query.get('key') ?? ''} value={at.query.get('value') ?? ''} />;
  }
  if ((m = match('/domains/:domain/profiles/:id', at.path))) {
    return <ProfilePage key={m.id} region={region} pageSize={pageSize} domain={m.domain} profileId={m.id} />;
  }
  return (
    <section>
      <h1>Not found</h1>
      <p>
        The console has no page at <code>{at.path}</code>. <Link to="/">Go to the domains</Link>.
      </p>
    </section>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function RegionPicker({ region, onChange }: { region: string; onChange: (region: string) => void }) {
  const [draft, setDraft] = useState(region);
  useEffect(() => setDraft(region), [region]);
  const commit = () => {
    const value = draft.trim();
    if (isRegion(value) && value !== region) onChange(value);
    else setDraft(region);
  };
  return (
    <form
      class="region"
      onSubmit={(e) => {
        e.preventDefault();
        commit();
      }}
    >
      <label>
        Region
        <input
          name="region"
          list="regions"
          size={12}
          value={draft}
          pattern="[a-z0-9\-]{1,32}"
          onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
          onChange={commit}
        />
      </label>
      <datalist id="regions">
        {KNOWN_REGIONS.map((r) => (
          <option key={r} value={r} />
        ))}
      </datalist>
    </form>
  );
}

function App() {
  const at = useLocation();
  const [region, setRegion] = useState(storedRegion);
  const auth = useAuth();
  const section = at.path.startsWith('/connector-profiles') ? 'connectors' : at.path.startsWith('/flows') ? 'flows' : 'domains';

  // The health route says whether signatures are required; a service that does not say is taken as
  // `off` until an unsigned call is refused (api.ts then switches to sigv4).
  useEffect(() => {
    const abort = new AbortController();
    health(abort.signal).then(
      (h) => setAuthMode(h.auth === 'sigv4' ? 'sigv4' : 'off'),
      () => {
        if (!abort.signal.aborted) setAuthMode('off');
      },
    );
    return () => abort.abort();
  }, []);

  const signedIn = auth.mode === 'sigv4' ? auth.credentials : undefined;
  const needsSignIn = auth.mode === 'sigv4' && !signedIn;
  let body;
  if (auth.mode === 'unknown') body = <p class="muted">Loading…</p>;
  else if (needsSignIn) body = <SignInPanel region={region} />;
  // Keyed by region and key: a change starts every page (and its event stream) afresh.
  else body = <Page key={`${region}|${signedIn?.accessKeyId ?? ''}`} at={at} region={region} />;

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link to="/" class="brand">
          profileflow <span>console</span>
        </Link>
        {!needsSignIn && (
          <nav aria-label="Console">
            <Link to="/" aria-current={section === 'domains' ? 'page' : undefined}>
              Domains
            </Link>
            <Link to="/flows" aria-current={section === 'flows' ? 'page' : undefined}>
              Flows
            </Link>
            <Link to="/connector-profiles" aria-current={section === 'connectors' ? 'page' : undefined}>
              Connector profiles
            </Link>
          </nav>
        )}
        <RegionPicker
          region={region}
          onChange={(r) => {
            storeRegion(r);
            setRegion(r);
            if (at.path.startsWith('/domains/')) navigate('/');
            else if (at.path.startsWith('/flows/')) navigate('/flows');
          }}
        />
        {signedIn && <SignedInAs accessKeyId={signedIn.accessKeyId} />}
      </header>
      <main id="main">{body}</main>
      <footer class="foot muted small">
        {signedIn ? `Signed with access key ${signedIn.accessKeyId}` : needsSignIn ? 'Not signed in' : 'Account 000000000000'} · reads the Customer Profiles
        and AppFlow APIs of this service
      </footer>
    </>
  );
}

render(<App />, document.getElementById('app')!);

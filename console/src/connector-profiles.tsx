import { admin } from './api.js';
import { Empty, ErrorNotice, Time, useRead } from './components.js';
import type { ConnectorProfile } from './wire.js';

/** GET /_profileflow/connector-profiles: the sources workflows read from (the server masks secrets). */
export function ConnectorProfilesPage() {
  const { value, error, loading } = useRead(
    (signal) => admin<{ connectorProfiles: ConnectorProfile[] }>('connector-profiles', signal),
    'connector-profiles',
  );
  const profiles = value?.connectorProfiles ?? [];
  return (
    <section>
      <h1>Connector profiles</h1>
      <p class="lead">
        What a flow's <code>ConnectorProfileName</code> names: the source a workflow reads. Secrets are shown as the service
        answers them, masked.
      </p>
      <ErrorNotice error={error} what="list the connector profiles" />
      {/* Connector profiles are the operator's: a tenant's keys are refused, and an empty table would say "none". */}
      {!error && (
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Connector profiles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Connector types</th>
              <th scope="col">Defined by</th>
              <th scope="col">Settings</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {profiles.map((p) => (
              <tr key={p.name} data-connector-profile={p.name}>
                <th scope="row" class="mono">
                  {p.name}
                </th>
                <td>{p.kind}</td>
                <td>{p.connectorTypes.join(', ')}</td>
                <td>{p.source}</td>
                <td>
                  <pre class="settings">{JSON.stringify(p.settings, null, 2)}</pre>
                </td>
                <td>
                  <Time value={p.updatedAt} />
                </td>
              </tr>
            ))}
            {!loading && !error && profiles.length === 0 && (
              <Empty columns={6}>
                No connector profiles. Add one with <code>PUT /_profileflow/connector-profiles/&lt;name&gt;</code> or the config file.
              </Empty>
            )}
          </tbody>
        </table>
      </div>
      )}
      {loading && !value && <p class="muted">Loading…</p>}
    </section>
  );
}

import { aws } from './api.js';
import { Count, DomainHeader, Empty, ErrorNotice, LoadMore, Time, usePaged, useRead } from './components.js';
import type { ListPageProps } from './domains.js';
import { uri } from './format.js';
import { Link } from './router.js';
import type { ListObjectTypes, ObjectType } from './wire.js';

/** ListProfileObjectTypes. */
export function ObjectTypesPage({ region, pageSize, domain }: ListPageProps & { domain: string }) {
  const types = usePaged(async (token, signal) => {
    const out = await aws<ListObjectTypes>({
      region,
      method: 'GET',
      path: uri`/domains/${domain}/object-types`,
      query: { 'max-results': pageSize, 'next-token': token },
      signal,
    });
    return { items: out.Items ?? [], nextToken: out.NextToken };
  }, `${region}|${domain}|${pageSize}`);

  return (
    <section>
      <DomainHeader domain={domain} current="object-types" />
      <ErrorNotice error={types.error} what="list the object types" />
      {/* Under an error banner with nothing read, an empty table would only repeat it. */}
      {!(types.error && types.items.length === 0) && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Object types of {domain}</caption>
            <thead>
              <tr>
                <th scope="col">Object type</th>
                <th scope="col">Description</th>
                <th scope="col" class="num">Source priority</th>
                <th scope="col" class="num">Max objects per profile</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {types.items.map((t) => (
                <tr key={t.ObjectTypeName} data-object-type={t.ObjectTypeName}>
                  <th scope="row">
                    <Link to={uri`/domains/${domain}/object-types/${t.ObjectTypeName}`}>{t.ObjectTypeName}</Link>
                  </th>
                  <td>{t.Description}</td>
                  <td class="num">
                    <Count value={t.SourcePriority} />
                  </td>
                  <td class="num">
                    <Count value={t.MaxProfileObjectCount} />
                  </td>
                  <td>
                    <Time value={t.CreatedAt} />
                  </td>
                  <td>
                    <Time value={t.LastUpdatedAt} />
                  </td>
                </tr>
              ))}
              {!types.loading && !types.error && types.items.length === 0 && <Empty columns={6}>No object types in {domain}.</Empty>}
            </tbody>
          </table>
        </div>
      )}
      {types.loading && types.items.length === 0 && <p class="muted">Loading…</p>}
      <LoadMore visible={types.hasMore} loading={types.loading} onClick={types.loadMore} what="object types" />
    </section>
  );
}

/** GetProfileObjectType: its settings, fields and keys. */
export function ObjectTypePage({ region, domain, name }: { region: string; domain: string; name: string }) {
  const { value: type, error } = useRead(
    (signal) => aws<ObjectType>({ region, method: 'GET', path: uri`/domains/${domain}/object-types/${name}`, signal }),
    `${region}|${domain}|${name}`,
  );
  const fields = Object.entries(type?.Fields ?? {});
  const keys = Object.entries(type?.Keys ?? {}).flatMap(([keyName, list]) => list.map((k, i) => ({ keyName, i, ...k })));
  const tags = Object.entries(type?.Tags ?? {});

  return (
    <section>
      <DomainHeader domain={domain} current="object-types" />
      <h2>
        Object type <span class="mono">{name}</span>
      </h2>
      <ErrorNotice error={error} what="read the object type" />
      {type && (
        <>
          <div class="card">
            <dl class="facts">
              <div>
                <dt>Description</dt>
                <dd>{type.Description}</dd>
              </div>
              <div>
                <dt>Creates profiles</dt>
                <dd>{type.AllowProfileCreation ? 'Yes' : 'No'}</dd>
              </div>
              <div>
                <dt>Expiration (days)</dt>
                <dd>
                  <Count value={type.ExpirationDays} />
                </dd>
              </div>
              <div>
                <dt>Source priority</dt>
                <dd>
                  <Count value={type.SourcePriority} />
                </dd>
              </div>
              <div>
                <dt>Timestamp format</dt>
                <dd>{type.SourceLastUpdatedTimestampFormat ?? '—'}</dd>
              </div>
              {type.TemplateId && (
                <div>
                  <dt>Template</dt>
                  <dd>{type.TemplateId}</dd>
                </div>
              )}
              <div>
                <dt>Created</dt>
                <dd>
                  <Time value={type.CreatedAt} />
                </dd>
              </div>
              <div>
                <dt>Updated</dt>
                <dd>
                  <Time value={type.LastUpdatedAt} />
                </dd>
              </div>
            </dl>
          </div>

          <h3>Fields</h3>
          <div class="table-wrap">
            <table class="fields">
              <caption class="visually-hidden">Fields of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Source</th>
                  <th scope="col">Target</th>
                  <th scope="col">Content type</th>
                </tr>
              </thead>
              <tbody>
                {fields.map(([field, f]) => (
                  <tr key={field} data-field={field}>
                    <th scope="row" class="mono">
                      {field}
                    </th>
                    <td class="mono">{f.Source}</td>
                    <td class="mono">{f.Target}</td>
                    <td>{f.ContentType}</td>
                  </tr>
                ))}
                {fields.length === 0 && <Empty columns={4}>No fields.</Empty>}
              </tbody>
            </table>
          </div>

          <h3>Keys</h3>
          <div class="table-wrap">
            <table class="keys">
              <caption class="visually-hidden">Keys of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Standard identifiers</th>
                  <th scope="col">Field names</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={`${k.keyName}-${k.i}`} data-key={k.keyName}>
                    <th scope="row" class="mono">
                      {k.keyName}
                    </th>
                    <td>{(k.StandardIdentifiers ?? []).join(', ')}</td>
                    <td class="mono">{(k.FieldNames ?? []).join(', ')}</td>
                  </tr>
                ))}
                {keys.length === 0 && <Empty columns={3}>No keys.</Empty>}
              </tbody>
            </table>
          </div>

          {tags.length > 0 && (
            <>
              <h3>Tags</h3>
              <dl class="facts">
                {tags.map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
        </>
      )}
    </section>
  );
}

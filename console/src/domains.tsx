import { useEffect, useState } from 'preact/hooks';
import { aws } from './api.js';
import { accountPhrase } from './auth.js';
import { Count, Empty, ErrorNotice, LoadMore, Time, usePaged } from './components.js';
import { formatBytes, uri } from './format.js';
import { Link } from './router.js';
import type { Domain, ListDomains } from './wire.js';

export interface ListPageProps {
  region: string;
  /** Items per request (the console's `?pageSize=`, 1 to 100). */
  pageSize: number;
}

/** ListDomains, each row completed by its GetDomain Stats. */
export function DomainsPage({ region, pageSize }: ListPageProps) {
  const domains = usePaged(async (token, signal) => {
    const out = await aws<ListDomains>({ region, method: 'GET', path: '/domains', query: { 'max-results': pageSize, 'next-token': token }, signal });
    return { items: out.Items ?? [], nextToken: out.NextToken };
  }, `${region}|${pageSize}`);

  const [details, setDetails] = useState<Record<string, Domain | 'error'>>({});
  useEffect(() => {
    const missing = domains.items.map((d) => d.DomainName).filter((name) => !(name in details));
    if (missing.length === 0) return;
    const abort = new AbortController();
    for (const name of missing) {
      aws<Domain>({ region, method: 'GET', path: uri`/domains/${name}`, signal: abort.signal }).then(
        (domain) => setDetails((before) => ({ ...before, [name]: domain })),
        () => {
          if (!abort.signal.aborted) setDetails((before) => ({ ...before, [name]: 'error' }));
        },
      );
    }
    return () => abort.abort();
  }, [domains.items, region]);

  return (
    <section>
      <h1>Domains</h1>
      <p class="lead">
        Customer Profiles domains of {accountPhrase()} in <strong>{region}</strong>, with the counts GetDomain keeps.
      </p>
      <ErrorNotice error={domains.error} what="list the domains" />
      {/* Under an error banner with nothing read, an empty table would only repeat it. */}
      {!(domains.error && domains.items.length === 0) && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Domains</caption>
            <thead>
              <tr>
                <th scope="col">Domain</th>
                <th scope="col" class="num">Profiles</th>
                <th scope="col" class="num">Objects</th>
                <th scope="col" class="num">Size</th>
                <th scope="col" class="num">Expiration (days)</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {domains.items.map((item) => {
                const detail = details[item.DomainName];
                const stats = detail && detail !== 'error' ? detail.Stats : undefined;
                return (
                  <tr key={item.DomainName} data-domain={item.DomainName}>
                    <th scope="row">
                      <Link to={uri`/domains/${item.DomainName}/workflows`}>{item.DomainName}</Link>
                    </th>
                    <td class="num" data-stat="profiles">
                      <Count value={stats?.ProfileCount} />
                    </td>
                    <td class="num" data-stat="objects">
                      <Count value={stats?.ObjectCount} />
                    </td>
                    <td class="num" data-stat="size">
                      {formatBytes(stats?.TotalSize)}
                    </td>
                    <td class="num">
                      <Count value={detail && detail !== 'error' ? detail.DefaultExpirationDays : undefined} />
                    </td>
                    <td>
                      <Time value={item.CreatedAt} />
                    </td>
                    <td>
                      <Time value={item.LastUpdatedAt} />
                    </td>
                  </tr>
                );
              })}
              {!domains.loading && !domains.error && domains.items.length === 0 && (
                <Empty columns={7}>
                  No domains in {region}. Create one with <code>aws customer-profiles create-domain</code>.
                </Empty>
              )}
            </tbody>
          </table>
        </div>
      )}
      {domains.loading && domains.items.length === 0 && <p class="muted">Loading…</p>}
      <LoadMore visible={domains.hasMore} loading={domains.loading} onClick={domains.loadMore} what="domains" />
    </section>
  );
}

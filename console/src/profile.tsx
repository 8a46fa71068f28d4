import { useState } from 'preact/hooks';
import { aws } from './api.js';
import { DomainHeader, ErrorNotice, LoadMore, Time, usePaged, useRead } from './components.js';
import { statusLabel, toDate, uri } from './format.js';
import type { HistoryRecord, HistoryRecordDetail, ListHistoryRecords, ProfileItem, SearchProfiles } from './wire.js';

export interface ProfilePageProps {
  region: string;
  pageSize: number;
  domain: string;
  profileId: string;
}

/** One profile: what it holds now (SearchProfiles by _profileId) and its history, newest first. */
export function ProfilePage({ region, pageSize, domain, profileId }: ProfilePageProps) {
  const { value: profile, error, loading } = useRead(async (signal) => {
    const out = await aws<SearchProfiles>({
      region,
      method: 'POST',
      path: uri`/domains/${domain}/profiles/search`,
      body: { KeyName: '_profileId', Values: [profileId] },
      signal,
    });
    return out.Items?.[0] ?? null;
  }, `${region}|${domain}|${profileId}`);

  return (
    <section>
      <DomainHeader domain={domain} current="profiles" />
      <h2>
        Profile <span class="mono">{profileId}</span>
      </h2>
      <ErrorNotice error={error} what="read the profile" />
      {profile && <ProfileFacts profile={profile} />}
      {/* A deleted or merged-away profile keeps its history: the page still shows it. */}
      {profile === null && !loading && <p class="muted">No profile has this id now; its history follows.</p>}
      <History region={region} pageSize={pageSize} domain={domain} profileId={profileId} />
    </section>
  );
}

function ProfileFacts({ profile: p }: { profile: ProfileItem }) {
  const facts: Array<[string, string | undefined]> = [
    ['Name', [p.FirstName, p.MiddleName, p.LastName].filter(Boolean).join(' ') || p.BusinessName],
    ['Email', [p.EmailAddress, p.PersonalEmailAddress, p.BusinessEmailAddress].filter(Boolean).join(', ')],
    ['Phone', [p.PhoneNumber, p.MobilePhoneNumber, p.HomePhoneNumber, p.BusinessPhoneNumber].filter(Boolean).join(', ')],
    ['Account', p.AccountNumber],
  ];
  return (
    <div class="card">
      <dl class="facts">
        {facts.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value || '—'}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/**
 * ListProfileHistoryRecords answers in the order the changes were made; the timeline shows the newest
 * on top, so what is loaded is sorted by CreatedAt (records of the same instant newest-listed first).
 */
function newestFirst(records: HistoryRecord[]): HistoryRecord[] {
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (b.r.CreatedAt ?? 0) - (a.r.CreatedAt ?? 0) || b.i - a.i)
    .map(({ r }) => r);
}

function History({ region, pageSize, domain, profileId }: ProfilePageProps) {
  const records = usePaged<HistoryRecord>(async (token, signal) => {
    const out = await aws<ListHistoryRecords>({
      region,
      method: 'POST',
      path: uri`/domains/${domain}/profiles/history-records`,
      query: { 'max-results': pageSize, 'next-token': token },
      body: { ProfileId: profileId },
      signal,
    });
    return { items: out.ProfileHistoryRecords ?? [], nextToken: out.NextToken };
  }, `${region}|${domain}|${profileId}|${pageSize}`);

  return (
    <section class="history" aria-labelledby="history-heading">
      <h3 id="history-heading">History</h3>
      <ErrorNotice error={records.error} what="read the profile's history" />
      {/* Under an error banner with nothing read, an empty timeline would only repeat it. */}
      {!(records.error && records.items.length === 0) && (
        <>
          <ol class="timeline" aria-label="History, newest first">
            {newestFirst(records.items).map((r) => (
              <HistoryEntry key={r.Id} region={region} domain={domain} profileId={profileId} record={r} />
            ))}
          </ol>
          {records.loading && records.items.length === 0 && <p class="muted">Loading the history…</p>}
          {!records.loading && !records.error && records.items.length === 0 && <p class="muted empty">No history records for this profile.</p>}
          <LoadMore visible={records.hasMore} loading={records.loading} onClick={records.loadMore} what="history records" />
        </>
      )}
    </section>
  );
}

function HistoryEntry({ region, domain, profileId, record: r }: { region: string; domain: string; profileId: string; record: HistoryRecord }) {
  const [open, setOpen] = useState(false);
  const action = r.ActionType ?? 'UNKNOWN';
  return (
    <li class={`timeline-entry action-${action.toLowerCase()}`} data-history-id={r.Id} data-action={action}>
      <div class="timeline-head">
        <span class="badge action">{statusLabel(action)}</span> <Time value={r.CreatedAt} />
      </div>
      <dl class="facts timeline-facts">
        <div>
          <dt>Object type</dt>
          <dd class="mono" data-field="object-type">
            {r.ObjectTypeName}
          </dd>
        </div>
        {r.ProfileObjectUniqueKey && (
          <div>
            <dt>Object key</dt>
            <dd class="mono" data-field="unique-key">
              {r.ProfileObjectUniqueKey}
            </dd>
          </div>
        )}
        <div>
          <dt>Performed by</dt>
          <dd class="mono" data-field="performed-by">
            {r.PerformedBy ?? '—'}
          </dd>
        </div>
      </dl>
      <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide content' : 'Show content'}
      </button>
      {open && <HistoryContent region={region} domain={domain} profileId={profileId} id={r.Id ?? ''} />}
    </li>
  );
}

/** GetProfileHistoryRecord's Content: the profile, object or key as it was right after the change. */
function HistoryContent({ region, domain, profileId, id }: { region: string; domain: string; profileId: string; id: string }) {
  const { value, error } = useRead(
    (signal) => aws<HistoryRecordDetail>({ region, method: 'GET', path: uri`/domains/${domain}/profiles/${profileId}/history-records/${id}`, signal }),
    `${region}|${domain}|${profileId}|${id}`,
  );
  if (error) return <ErrorNotice error={error} what="read the history record" />;
  if (!value) return <p class="muted">Loading…</p>;
  const updated = toDate(value.LastUpdatedAt);
  return (
    <div class="history-content">
      {updated && (
        <p class="muted small">
          Last updated <Time value={value.LastUpdatedAt} />
        </p>
      )}
      {value.Content ? <pre class="content">{pretty(value.Content)}</pre> : <p class="muted">This record has no content.</p>}
    </div>
  );
}

/** Content is stringified JSON: shown indented, or as it is when it does not parse. */
function pretty(content: string): string {
  try {
    return JSON.stringify(JSON.parse(content), null, 2);
  } catch {
    return content;
  }
}

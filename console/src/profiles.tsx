import { useEffect, useState } from 'preact/hooks';
import { aws } from './api.js';
import { DomainHeader, Empty, ErrorNotice, LoadMore, usePaged } from './components.js';
import type { ListPageProps } from './domains.js';
import { uri } from './format.js';
import { Link, navigate } from './router.js';
import type { ProfileItem, SearchProfiles } from './wire.js';

/** The search keys every profile is indexed under (README, "Standard search keys"). */
const STANDARD_KEYS = [
  { name: '_email', hint: 'any of the three email addresses' },
  { name: '_phone', hint: 'any of the four phone numbers' },
  { name: '_fullName', hint: 'first, middle and last name' },
  { name: '_account', hint: 'the account number' },
  { name: '_profileId', hint: 'the profile id' },
];

export interface ProfilesPageProps extends ListPageProps {
  domain: string;
  keyName: string;
  value: string;
}

/** SearchProfiles by one key and value; the search lives in the URL, so it can be shared and reloaded. */
export function ProfilesPage({ region, pageSize, domain, keyName, value }: ProfilesPageProps) {
  const [draftKey, setDraftKey] = useState(keyName || '_email');
  const [draftValue, setDraftValue] = useState(value);
  useEffect(() => {
    setDraftKey(keyName || '_email');
    setDraftValue(value);
  }, [keyName, value]);

  const searching = keyName !== '' && value !== '';
  const results = usePaged<ProfileItem>(async (token, signal) => {
    if (!searching) return { items: [], nextToken: undefined };
    const out = await aws<SearchProfiles>({
      region,
      method: 'POST',
      path: uri`/domains/${domain}/profiles/search`,
      query: { 'max-results': pageSize, 'next-token': token },
      body: { KeyName: keyName, Values: [value] },
      signal,
    });
    return { items: out.Items ?? [], nextToken: out.NextToken };
  }, `${region}|${domain}|${keyName}|${value}|${pageSize}`);

  const submit = (event: Event) => {
    event.preventDefault();
    const query = new URLSearchParams(location.search);
    query.set('key', draftKey.trim());
    query.set('value', draftValue.trim());
    navigate(`${uri`/domains/${domain}/profiles`}?${query}`);
  };

  return (
    <section>
      <DomainHeader domain={domain} current="profiles" />
      <form class="search card" onSubmit={submit} role="search" aria-label="Search profiles">
        <label>
          Key name
          <input name="key" list="search-keys" required maxLength={255} value={draftKey} onInput={(e) => setDraftKey((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <datalist id="search-keys">
          {STANDARD_KEYS.map((k) => (
            <option key={k.name} value={k.name} label={k.hint} />
          ))}
        </datalist>
        <label>
          Value
          <input name="value" required maxLength={255} value={draftValue} onInput={(e) => setDraftValue((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <p class="muted small">
        Standard keys: {STANDARD_KEYS.map((k) => k.name).join(', ')}; also any key of the domain's object types.
      </p>
      <ErrorNotice error={results.error} what="search the profiles" />
      {/* Under an error banner with nothing found, an empty table would only repeat it. */}
      {searching && !(results.error && results.items.length === 0) && (
        <>
          <div class="table-wrap">
            <table class="profiles">
              <caption>
                Profiles found by <span class="mono">{keyName}</span> = <span class="mono">{value}</span>
              </caption>
              <thead>
                <tr>
                  <th scope="col">Profile</th>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Phone</th>
                  <th scope="col">Account</th>
                  <th scope="col">Address</th>
                  <th scope="col">Attributes</th>
                </tr>
              </thead>
              <tbody>
                {results.items.map((p) => (
                  <tr key={p.ProfileId} data-profile-id={p.ProfileId}>
                    <th scope="row" class="mono">
                      <Link to={uri`/domains/${domain}/profiles/${p.ProfileId ?? ''}`}>{p.ProfileId}</Link>
                    </th>
                    <td>{nameOf(p)}</td>
                    <td>{[p.EmailAddress, p.PersonalEmailAddress, p.BusinessEmailAddress].filter(Boolean).join(', ')}</td>
                    <td>{[p.PhoneNumber, p.MobilePhoneNumber, p.HomePhoneNumber, p.BusinessPhoneNumber].filter(Boolean).join(', ')}</td>
                    <td>{p.AccountNumber}</td>
                    <td>{[p.Address?.City, p.Address?.State ?? p.Address?.Province, p.Address?.Country].filter(Boolean).join(', ')}</td>
                    <td class="small">
                      {Object.entries(p.Attributes ?? {})
                        .map(([k, v]) => `${k}: ${v}`)
                        .join('; ')}
                    </td>
                  </tr>
                ))}
                {!results.loading && !results.error && results.items.length === 0 && <Empty columns={7}>No profile matches.</Empty>}
              </tbody>
            </table>
          </div>
          {results.loading && results.items.length === 0 && <p class="muted">Searching…</p>}
          <LoadMore visible={results.hasMore} loading={results.loading} onClick={results.loadMore} what="profiles" />
        </>
      )}
    </section>
  );
}

function nameOf(p: ProfileItem): string {
  const person = [p.FirstName, p.MiddleName, p.LastName].filter(Boolean).join(' ');
  if (person && p.BusinessName) return `${person} (${p.BusinessName})`;
  return person || p.BusinessName || '';
}

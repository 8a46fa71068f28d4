import { CreateDomainCommand, DeleteDomainCommand, GetDomainCommand, ListDomainsCommand } from '@aws-sdk/client-customer-profiles';
import { clientOf, commonOf, iso, noMoreArguments, parse, printJson, required, table, UsageError, wholeNumber, write } from './common.js';

export const DOMAINS_HELP = `Usage:
  profileflow domains list
  profileflow domains get    <domain-name>
  profileflow domains create <domain-name> [--default-expiration-days 365]
  profileflow domains delete <domain-name>
<domain-name> may be given as --domain-name (or --domain) instead.
Common: --endpoint-url URL (default http://127.0.0.1:4599) --region R --profile P --output table|json
`;

const SUBCOMMANDS = new Set(['list', 'get', 'create', 'delete']);

export async function domainsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'domain-name': { type: 'string' }, domain: { type: 'string', short: 'd' }, 'default-expiration-days': { type: 'string' } });
  const sub = positionals[0];
  if (values.help) {
    write(DOMAINS_HELP);
    return 0;
  }
  if (!sub) throw new UsageError('domains needs a command: list, get, create or delete.');
  if (!SUBCOMMANDS.has(sub)) throw new UsageError(`Unknown domains command '${sub}'.`);
  noMoreArguments(positionals, sub === 'list' ? 1 : 2);
  const name = sub === 'list' ? '' : required(values, ['domain-name', 'domain'], { name: '<domain-name>', value: positionals[1] });
  const days = wholeNumber(values, 'default-expiration-days', 1, 365);
  const common = commonOf(values);
  const client = await clientOf(common);
  try {
    switch (sub) {
      case 'list': {
        const items = [];
        let token: string | undefined;
        do {
          const page = await client.send(new ListDomainsCommand({ NextToken: token }));
          items.push(...(page.Items ?? []));
          token = page.NextToken;
        } while (token);
        if (common.json) printJson({ Items: items });
        else write(table(items.map((d) => ({ DOMAIN: d.DomainName, CREATED: iso(d.CreatedAt), UPDATED: iso(d.LastUpdatedAt) })), ['DOMAIN', 'CREATED', 'UPDATED']));
        return 0;
      }
      case 'get': {
        const { $metadata: _m, ...d } = await client.send(new GetDomainCommand({ DomainName: name }));
        if (common.json) printJson(d);
        else {
          const rows: [string, unknown][] = [
            ['DomainName', d.DomainName],
            ['DefaultExpirationDays', d.DefaultExpirationDays],
            ['Profiles', d.Stats?.ProfileCount],
            ['Objects', d.Stats?.ObjectCount],
            ['TotalSize', d.Stats?.TotalSize],
            ['Created', iso(d.CreatedAt)],
            ['LastUpdated', iso(d.LastUpdatedAt)],
          ];
          write(`${rows.filter(([, v]) => v !== undefined).map(([k, v]) => `${k.padEnd(22)}${String(v)}`).join('\n')}\n`);
        }
        return 0;
      }
      case 'create': {
        const { $metadata: _m, ...d } = await client.send(new CreateDomainCommand({ DomainName: name, DefaultExpirationDays: days }));
        if (common.json) printJson(d);
        else write(`Created domain ${d.DomainName}.\n`);
        return 0;
      }
      case 'delete': {
        const { $metadata: _m, ...d } = await client.send(new DeleteDomainCommand({ DomainName: name }));
        if (common.json) printJson(d);
        else write(`${d.Message ?? 'Deleted.'}\n`);
        return 0;
      }
      default:
        throw new UsageError(`Unknown domains command '${sub}'.`);
    }
  } finally {
    client.destroy();
  }
}

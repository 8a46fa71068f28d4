import type { Kysely } from 'kysely';
import { integrationArn } from '../../domain/arns.js';
import type { Database, IntegrationsTable } from '../schema.js';
import type { IntegrationRecord, IntegrationRepository } from '../types.js';
import type { Scope } from '../../domain/scope.js';

/** The definition column holds every member that has no column of its own. */
type Definition = Omit<IntegrationRecord, 'uri' | 'workflowId' | 'hidden' | 'createdAt' | 'updatedAt'>;

export class KyselyIntegrationRepository implements IntegrationRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async put(scope: Scope, domainName: string, record: IntegrationRecord): Promise<void> {
    const row = toRow(scope, domainName, record);
    await this.db
      .insertInto('integrations')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['account_id', 'region', 'domain_name', 'uri']).doUpdateSet({
          definition: row.definition,
          workflow_id: row.workflow_id,
          hidden: row.hidden,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  async get(scope: Scope, domainName: string, uri: string): Promise<IntegrationRecord | undefined> {
    const row = await this.db
      .selectFrom('integrations')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('uri', '=', uri)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async delete(scope: Scope, domainName: string, uri: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('integrations')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('uri', '=', uri)
      .executeTakeFirst();
    await this.removeTags(scope, domainName, [uri]);
    return Number(result.numDeletedRows) === 1;
  }

  async deleteByWorkflow(scope: Scope, domainName: string, workflowId: string): Promise<string[]> {
    const rows = await this.db
      .deleteFrom('integrations')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .where('workflow_id', '=', workflowId)
      .returning('uri')
      .execute();
    const uris = rows.map((r) => r.uri);
    await this.removeTags(scope, domainName, uris);
    return uris;
  }

  async deleteByObjectType(scope: Scope, domainName: string, objectTypeName: string): Promise<string[]> {
    // The type may be named in ObjectTypeNames (a JSON map), so the match is made here, not in SQL; a
    // domain holds few integrations.
    const rows = await this.db
      .selectFrom('integrations')
      .select(['uri', 'definition'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName)
      .execute();
    const uris = rows
      .filter((r) => {
        const d = JSON.parse(r.definition) as Definition;
        return d.objectTypeName === objectTypeName || Object.values(d.objectTypeNames ?? {}).includes(objectTypeName);
      })
      .map((r) => r.uri);
    for (let i = 0; i < uris.length; i += 500) {
      await this.db
        .deleteFrom('integrations')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('domain_name', '=', domainName)
        .where('uri', 'in', uris.slice(i, i + 500))
        .execute();
    }
    await this.removeTags(scope, domainName, uris);
    return uris;
  }

  async list(
    scope: Scope,
    domainName: string,
    afterUri: string | undefined,
    limit: number,
    includeHidden = false,
  ): Promise<IntegrationRecord[]> {
    let query = this.db
      .selectFrom('integrations')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('domain_name', '=', domainName);
    if (!includeHidden) query = query.where('hidden', '=', 0);
    if (afterUri !== undefined) query = query.where('uri', '>', afterUri);
    const rows = await query.orderBy('uri').limit(limit).execute();
    return rows.map(fromRow);
  }

  async listByUri(
    scope: Scope,
    uri: string,
    afterDomain: string | undefined,
    limit: number,
    includeHidden = false,
  ): Promise<(IntegrationRecord & { domainName: string })[]> {
    let query = this.db
      .selectFrom('integrations')
      .selectAll()
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('uri', '=', uri);
    if (!includeHidden) query = query.where('hidden', '=', 0);
    if (afterDomain !== undefined) query = query.where('domain_name', '>', afterDomain);
    const rows = await query.orderBy('domain_name').limit(limit).execute();
    return rows.map((r) => ({ ...fromRow(r), domainName: r.domain_name }));
  }

  /**
   * Tags go with the integration here rather than in every caller, because the workflow engine deletes
   * integrations too. Exact ARNs, not the tag repository's prefix removal: a URI may be a prefix of
   * another one (`…/flow/a` and `…/flow/a/b`).
   */
  private async removeTags(scope: Scope, domainName: string, uris: readonly string[]): Promise<void> {
    const arns = uris.map((uri) => integrationArn(scope, domainName, uri));
    for (let i = 0; i < arns.length; i += 500) {
      await this.db
        .deleteFrom('tags')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('resource_arn', 'in', arns.slice(i, i + 500))
        .execute();
    }
  }
}

function toRow(scope: Scope, domainName: string, record: IntegrationRecord): IntegrationsTable {
  const { uri, workflowId, hidden, createdAt, updatedAt, ...definition } = record;
  return {
    account_id: scope.accountId,
    region: scope.region,
    domain_name: domainName,
    uri,
    definition: JSON.stringify(definition satisfies Definition),
    workflow_id: workflowId ?? null,
    hidden: hidden ? 1 : 0,
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

function fromRow(row: IntegrationsTable): IntegrationRecord {
  const definition = JSON.parse(row.definition) as Definition;
  return {
    uri: row.uri,
    ...definition,
    workflowId: row.workflow_id ?? undefined,
    hidden: Number(row.hidden) === 1 ? true : undefined,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

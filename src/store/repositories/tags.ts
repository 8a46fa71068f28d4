import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { TagMap, TagRepository } from '../types.js';
import type { Scope } from '../../domain/scope.js';

export class KyselyTagRepository implements TagRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(scope: Scope, resourceArn: string): Promise<TagMap> {
    const rows = await this.db
      .selectFrom('tags')
      .select(['tag_key', 'tag_value'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('resource_arn', '=', resourceArn)
      .orderBy('tag_key')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.tag_key, r.tag_value]));
  }

  async put(scope: Scope, resourceArn: string, tags: TagMap): Promise<void> {
    const rows = Object.entries(tags).map(([tag_key, tag_value]) => ({
      account_id: scope.accountId,
      region: scope.region,
      resource_arn: resourceArn,
      tag_key,
      tag_value,
    }));
    if (rows.length === 0) return;
    await this.db
      .insertInto('tags')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'region', 'resource_arn', 'tag_key'])
          .doUpdateSet((eb) => ({ tag_value: eb.ref('excluded.tag_value') })),
      )
      .execute();
  }

  async remove(scope: Scope, resourceArn: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db
      .deleteFrom('tags')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('resource_arn', '=', resourceArn)
      .where('tag_key', 'in', keys)
      .execute();
  }

  async removeResource(scope: Scope, resourceArn: string): Promise<void> {
    await this.db
      .deleteFrom('tags')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where((eb) =>
        eb.or([
          eb('resource_arn', '=', resourceArn),
          // Children (object types, integrations) live under the domain's ARN; `substr` instead of
          // LIKE so that `_` and `%` in names are not wildcards.
          eb(eb.fn('substr', ['resource_arn', eb.val(1), eb.val(resourceArn.length + 1)]), '=', `${resourceArn}/`),
        ]),
      )
      .execute();
  }
}

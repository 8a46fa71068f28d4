import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { domainArn, integrationArn, objectTypeArn } from '../../src/domain/arns.js';
import type { Scope } from '../../src/domain/scope.js';
import { availableBackends, createTestStore, type TestStore } from '../helpers/backends.js';

const home: Scope = { accountId: '000000000000', region: 'us-east-1' };
const otherAccount: Scope = { accountId: '111122223333', region: 'us-east-1' };
const otherRegion: Scope = { accountId: '000000000000', region: 'eu-west-1' };

for (const backend of await availableBackends()) {
  describe(`tag repository [${backend}]`, () => {
    let t: TestStore;
    before(async () => {
      t = await createTestStore(backend);
    });
    after(() => t?.dispose());

    test('a resource without tags has an empty map', async () => {
      assert.deepEqual(await t.store.tags.get(home, domainArn(home, 'untagged')), {});
    });

    test('put adds tags, and a second put overwrites the values of keys it names and keeps the others', async () => {
      const arn = domainArn(home, 'put');
      await t.store.tags.put(home, arn, { team: 'growth', env: 'dev' });
      assert.deepEqual(await t.store.tags.get(home, arn), { env: 'dev', team: 'growth' });
      await t.store.tags.put(home, arn, { env: 'prod', owner: 'ana' });
      assert.deepEqual(await t.store.tags.get(home, arn), { env: 'prod', owner: 'ana', team: 'growth' });
    });

    test('put with no tags changes nothing', async () => {
      const arn = domainArn(home, 'put-empty');
      await t.store.tags.put(home, arn, { a: '1' });
      await t.store.tags.put(home, arn, {});
      assert.deepEqual(await t.store.tags.get(home, arn), { a: '1' });
    });

    test('keys and values keep their exact text: case, punctuation, empty value', async () => {
      const arn = domainArn(home, 'text');
      const tags = { 'a:b/c=d+e.f_g-h': 'x y', Key: 'UPPER', key: 'lower', empty: '', unicode: 'café ✓' };
      await t.store.tags.put(home, arn, tags);
      assert.deepEqual(await t.store.tags.get(home, arn), tags);
    });

    test('remove drops the named keys only; unknown keys are ignored', async () => {
      const arn = domainArn(home, 'rm');
      await t.store.tags.put(home, arn, { a: '1', b: '2', c: '3' });
      await t.store.tags.remove(home, arn, ['a', 'c', 'never-there']);
      assert.deepEqual(await t.store.tags.get(home, arn), { b: '2' });
      await t.store.tags.remove(home, arn, []);
      assert.deepEqual(await t.store.tags.get(home, arn), { b: '2' });
    });

    test('tags are scoped by account and region even for the same ARN text', async () => {
      const arn = domainArn(home, 'scoped');
      await t.store.tags.put(home, arn, { who: 'home' });
      await t.store.tags.put(otherAccount, arn, { who: 'other-account' });
      assert.deepEqual(await t.store.tags.get(otherRegion, arn), {});
      await t.store.tags.remove(otherAccount, arn, ['who']);
      await t.store.tags.removeResource(otherRegion, arn);
      assert.deepEqual(await t.store.tags.get(home, arn), { who: 'home' });
      assert.deepEqual(await t.store.tags.get(otherAccount, arn), {});
    });

    describe('removeResource', () => {
      test("removes the domain's tags and those of everything below it", async () => {
        const dom = domainArn(home, 'dom');
        const below = [objectTypeArn(home, 'dom', 'Orders'), integrationArn(home, 'dom', 'arn:aws:flow:us-east-1:1:flow/f')];
        for (const arn of [dom, ...below]) await t.store.tags.put(home, arn, { k: 'v' });
        await t.store.tags.removeResource(home, dom);
        for (const arn of [dom, ...below]) assert.deepEqual(await t.store.tags.get(home, arn), {}, arn);
      });

      test('leaves a domain whose name merely starts with the same text', async () => {
        const neighbours = [
          domainArn(home, 'pre2'),
          domainArn(home, 'pre-x'),
          objectTypeArn(home, 'pre2', 'Orders'),
          domainArn(home, 'pr'),
        ];
        await t.store.tags.put(home, domainArn(home, 'pre'), { k: 'v' });
        for (const arn of neighbours) await t.store.tags.put(home, arn, { k: 'v' });
        await t.store.tags.removeResource(home, domainArn(home, 'pre'));
        assert.deepEqual(await t.store.tags.get(home, domainArn(home, 'pre')), {});
        for (const arn of neighbours) assert.deepEqual(await t.store.tags.get(home, arn), { k: 'v' }, arn);
      });

      test('treats _ and % in the ARN literally, not as wildcards', async () => {
        // `a_c` as a LIKE pattern would match `abc`; `%` would match anything.
        const underscore = domainArn(home, 'a_c');
        const lookalikes = [domainArn(home, 'abc'), objectTypeArn(home, 'abc', 'T'), domainArn(home, 'a_cd')];
        await t.store.tags.put(home, underscore, { k: 'v' });
        for (const arn of lookalikes) await t.store.tags.put(home, arn, { k: 'v' });
        await t.store.tags.removeResource(home, underscore);
        assert.deepEqual(await t.store.tags.get(home, underscore), {});
        for (const arn of lookalikes) assert.deepEqual(await t.store.tags.get(home, arn), { k: 'v' }, arn);

        const percent = 'arn:aws:profile:us-east-1:000000000000:domains/%';
        const victims = [domainArn(home, 'zzz'), `${percent}x`, 'arn:aws:profile:us-east-1:000000000000:domains/x/%'];
        for (const arn of [percent, ...victims]) await t.store.tags.put(home, arn, { k: 'v' });
        await t.store.tags.removeResource(home, percent);
        assert.deepEqual(await t.store.tags.get(home, percent), {});
        for (const arn of victims) assert.deepEqual(await t.store.tags.get(home, arn), { k: 'v' }, arn);
      });

      test('touches only the caller scope', async () => {
        const arn = domainArn(home, 'rr-scope');
        await t.store.tags.put(home, arn, { k: 'v' });
        await t.store.tags.put(otherAccount, arn, { k: 'v' });
        await t.store.tags.put(otherRegion, `${arn}/object-types/T`, { k: 'v' });
        await t.store.tags.removeResource(home, arn);
        assert.deepEqual(await t.store.tags.get(home, arn), {});
        assert.deepEqual(await t.store.tags.get(otherAccount, arn), { k: 'v' });
        assert.deepEqual(await t.store.tags.get(otherRegion, `${arn}/object-types/T`), { k: 'v' });
      });
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  AddProfileKeyCommand,
  CreateDomainCommand,
  CreateProfileCommand,
  DeleteProfileCommand,
  DeleteProfileKeyCommand,
  GetDomainCommand,
  ListProfileObjectsCommand,
  MergeProfilesCommand,
  PutProfileObjectCommand,
  PutProfileObjectTypeCommand,
  SearchProfilesCommand,
  UpdateProfileCommand,
} from '@aws-sdk/client-customer-profiles';
import { availableBackends, type Backend } from '../helpers/backends.js';
import type { KeyStagingPolicy } from '../../src/store/dialects/row-writers/sqlite-key-staging.js';
import { HOME } from '../helpers/profile-objects.js';
import { startServer, type TestServer } from '../helpers/server.js';

/**
 * Random sequences of put object, create, update, add/delete key, merge and delete, applied to the
 * service (both backends) and to a plain in-memory model of the key index, the objects and the counts;
 * afterwards SearchProfiles, ListProfileObjects and GetDomain's Stats must agree with the model.
 * Values are lowercase so that every key's normalization leaves them as they are.
 */

const EMAILS = ['a@x.io', 'b@x.io', 'c@x.io'];
const NAMES = ['ann', 'bob'];
const ORDERS = ['o1', 'o2', 'o3', 'o4'];
const TAGS = ['t1', 't2', 't3'];
const KEY_NAMES = ['_email', 'orderId', 'tag'] as const;

type Op =
  | { kind: 'create'; first?: string; email?: string }
  | { kind: 'put'; order: string; owner: number; tag: string }
  | { kind: 'update'; p: number; first?: string; email?: string }
  | { kind: 'addKey'; p: number; name: (typeof KEY_NAMES)[number]; value: string }
  | { kind: 'deleteKey'; p: number; name: (typeof KEY_NAMES)[number]; value: string }
  | { kind: 'merge'; main: number; dups: number[]; firstFrom?: number }
  | { kind: 'delete'; p: number };

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const keyValue = fc.oneof(fc.constantFrom(...EMAILS), fc.constantFrom(...ORDERS), fc.constantFrom(...TAGS));
// Weighted towards creating profiles and putting objects, so that sequences reach objects that move
// between profiles, merges of profiles that hold objects, and deletions of profiles with leftovers.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('create' as const), first: maybe(fc.constantFrom(...NAMES)), email: maybe(fc.constantFrom(...EMAILS)) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), order: fc.constantFrom(...ORDERS), owner: fc.nat(9), tag: fc.constantFrom(...TAGS) }) },
  { weight: 2, arbitrary: fc.record({
    kind: fc.constant('update' as const),
    p: fc.nat(9),
    first: maybe(fc.constantFrom('', ...NAMES)),
    email: maybe(fc.constantFrom('', ...EMAILS)),
  }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('addKey' as const), p: fc.nat(9), name: fc.constantFrom(...KEY_NAMES), value: keyValue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteKey' as const), p: fc.nat(9), name: fc.constantFrom(...KEY_NAMES), value: keyValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('merge' as const), main: fc.nat(9), dups: fc.array(fc.nat(9), { minLength: 1, maxLength: 3 }), firstFrom: maybe(fc.nat(9)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), p: fc.nat(9) }) },
);

interface ModelProfile {
  FirstName?: string;
  EmailAddress?: string;
}

/** The in-memory model: what the index, the objects and the counts must be. */
class Model {
  profiles = new Map<string, ModelProfile>();
  /** orderId → its object. */
  objects = new Map<string, { profileId: string; text: string }>();
  /** `${keyName}\0${value}\0${profileId}` */
  index = new Set<string>();

  ids(): string[] {
    return [...this.profiles.keys()];
  }

  pick(n: number): string | undefined {
    const ids = this.ids();
    return ids.length === 0 ? undefined : ids[n % ids.length];
  }

  static standard(p: ModelProfile): [string, string][] {
    const out: [string, string][] = [];
    if (p.EmailAddress) out.push(['_email', p.EmailAddress]);
    if (p.FirstName) out.push(['_fullName', p.FirstName]);
    return out;
  }

  add(name: string, value: string, id: string) {
    this.index.add(`${name}\u0000${value}\u0000${id}`);
  }

  remove(name: string, value: string, id: string) {
    this.index.delete(`${name}\u0000${value}\u0000${id}`);
  }

  follow(id: string, before: ModelProfile, after: ModelProfile) {
    const old = new Set(Model.standard(before).map((k) => k.join('\u0000')));
    const now = new Set(Model.standard(after).map((k) => k.join('\u0000')));
    for (const k of old) if (!now.has(k)) this.remove(...(k.split('\u0000') as [string, string]), id);
    for (const k of now) if (!old.has(k)) this.add(...(k.split('\u0000') as [string, string]), id);
  }

  /** The profiles the index holds for (name, value): every one of them must exist. */
  expectedSearch(name: string, value: string): string[] {
    const prefix = `${name}\u0000${value}\u0000`;
    const ids = [...this.index].filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length)).sort();
    assert.ok(ids.every((id) => this.profiles.has(id)), 'the model indexes only live profiles');
    return ids;
  }
}

// SQLite runs twice: with the key index's staging as the service sets it (no move or merge within a test's
// few entries), and with a move every other entry and a merge of a two-entry slice at every write, so that
// entries move between the key index's tables in the middle of every sequence.
type Variant = { backend: Backend; label: string; sqliteKeyStaging?: KeyStagingPolicy };
const variants = (await availableBackends()).flatMap((backend): Variant[] =>
  backend === 'sqlite'
    ? [{ backend, label: backend }, { backend, label: 'sqlite, key index moved and merged at every write', sqliteKeyStaging: { recentAt: 2, mergeAt: 1, sliceEntries: 2 } }]
    : [{ backend, label: backend }],
);

for (const { backend, label, sqliteKeyStaging } of variants) {
  describe(`profile lifecycle, property-based [${label}]`, () => {
    let s: TestServer;
    let domainNo = 0;
    before(async () => {
      s = await startServer(backend, { sqliteKeyStaging });
    });
    after(() => s.close());

    test('SearchProfiles, ListProfileObjects and Stats agree with a simple model after any sequence of changes', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 20 }), async (ops) => {
          const DomainName = `prop-${domainNo++}`;
          const c = s.client;
          await c.send(new CreateDomainCommand({ DomainName, DefaultExpirationDays: 30 }));
          await c.send(
            new PutProfileObjectTypeCommand({
              DomainName,
              ObjectTypeName: 'Order',
              Description: 'Orders',
              Fields: {
                Id: { Source: '_source.Id', ContentType: 'STRING' },
                Owner: { Source: '_source.Owner', ContentType: 'STRING' },
                Tag: { Source: '_source.Tag', ContentType: 'STRING' },
              },
              Keys: {
                orderId: [{ StandardIdentifiers: ['UNIQUE'], FieldNames: ['Id'] }],
                _profileId: [{ StandardIdentifiers: ['LOOKUP_ONLY'], FieldNames: ['Owner'] }],
                tag: [{ FieldNames: ['Tag'] }],
              },
            }),
          );
          const m = new Model();
          for (const op of ops) {
            switch (op.kind) {
              case 'create': {
                const attrs: ModelProfile = { FirstName: op.first, EmailAddress: op.email };
                const { ProfileId } = await c.send(new CreateProfileCommand({ DomainName, ...attrs }));
                const clean = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined)) as ModelProfile;
                m.profiles.set(ProfileId!, clean);
                m.follow(ProfileId!, {}, clean);
                break;
              }
              case 'put': {
                const owner = m.pick(op.owner);
                if (!owner) break;
                const record = { Id: op.order, Owner: owner, Tag: op.tag };
                await c.send(new PutProfileObjectCommand({ DomainName, ObjectTypeName: 'Order', Object: JSON.stringify(record) }));
                m.objects.set(op.order, { profileId: owner, text: JSON.stringify(record) });
                m.add('orderId', op.order, owner);
                m.add('tag', op.tag, owner);
                break;
              }
              case 'update': {
                const id = m.pick(op.p);
                if (!id) break;
                await c.send(new UpdateProfileCommand({ DomainName, ProfileId: id, FirstName: op.first, EmailAddress: op.email }));
                const before = m.profiles.get(id)!;
                const after: ModelProfile = { ...before };
                for (const f of ['FirstName', 'EmailAddress'] as const) {
                  const v = f === 'FirstName' ? op.first : op.email;
                  if (v === '') delete after[f];
                  else if (v !== undefined) after[f] = v;
                }
                m.profiles.set(id, after);
                m.follow(id, before, after);
                break;
              }
              case 'addKey': {
                const id = m.pick(op.p);
                if (!id) break;
                await c.send(new AddProfileKeyCommand({ DomainName, ProfileId: id, KeyName: op.name, Values: [op.value] }));
                m.add(op.name, op.value, id);
                break;
              }
              case 'deleteKey': {
                const id = m.pick(op.p);
                if (!id) break;
                await c.send(new DeleteProfileKeyCommand({ DomainName, ProfileId: id, KeyName: op.name, Values: [op.value] }));
                m.remove(op.name, op.value, id);
                break;
              }
              case 'merge': {
                const main = m.pick(op.main);
                if (!main) break;
                const dups = [...new Set(op.dups.map((d) => m.pick(d)!))].filter((d) => d !== main);
                if (dups.length === 0) break;
                const from = op.firstFrom === undefined ? undefined : [main, ...dups][op.firstFrom % (dups.length + 1)];
                await c.send(
                  new MergeProfilesCommand({
                    DomainName,
                    MainProfileId: main,
                    ProfileIdsToBeMerged: dups,
                    FieldSourceProfileIds: from ? { FirstName: from } : undefined,
                  }),
                );
                const ordered = [main, ...dups].map((id) => m.profiles.get(id)!);
                const before = ordered[0];
                const merged: ModelProfile = {};
                const first = from ? m.profiles.get(from)!.FirstName : ordered.find((p) => p.FirstName)?.FirstName;
                const email = ordered.find((p) => p.EmailAddress)?.EmailAddress;
                if (first) merged.FirstName = first;
                if (email) merged.EmailAddress = email;
                const held = [...m.index].map((e) => e.split('\u0000')).filter(([, , id]) => dups.includes(id));
                for (const [n, v, id] of held) m.remove(n, v, id);
                m.follow(main, before, merged);
                for (const [n, v] of held) m.add(n, v, main);
                for (const o of m.objects.values()) if (dups.includes(o.profileId)) o.profileId = main;
                for (const d of dups) m.profiles.delete(d);
                m.profiles.set(main, merged);
                break;
              }
              case 'delete': {
                const id = m.pick(op.p);
                if (!id) break;
                await c.send(new DeleteProfileCommand({ DomainName, ProfileId: id }));
                for (const e of [...m.index]) if (e.endsWith(`\u0000${id}`)) m.index.delete(e);
                for (const [k, o] of m.objects) if (o.profileId === id) m.objects.delete(k);
                m.profiles.delete(id);
                break;
              }
            }
          }

          for (const [name, values] of [['_email', EMAILS], ['_fullName', NAMES], ['orderId', ORDERS], ['tag', TAGS]] as const) {
            for (const value of values) {
              const found = await c.send(new SearchProfilesCommand({ DomainName, KeyName: name, Values: [value], MaxResults: 100 }));
              assert.deepEqual((found.Items ?? []).map((p) => p.ProfileId).sort(), m.expectedSearch(name, value), `search ${name}=${value}`);
              // SearchProfiles leaves out ids whose profile is gone: the index itself must hold no such entry.
              const indexed = await s.store.profiles.searchByKey(HOME, DomainName, name, [value], undefined, 100);
              assert.deepEqual(indexed, m.expectedSearch(name, value), `index ${name}=${value}`);
            }
          }
          for (const id of m.ids()) {
            const listed = await c.send(new ListProfileObjectsCommand({ DomainName, ObjectTypeName: 'Order', ProfileId: id, MaxResults: 100 }));
            const expected = [...m.objects].filter(([, o]) => o.profileId === id).map(([k]) => k).sort();
            assert.deepEqual((listed.Items ?? []).map((o) => o.ProfileObjectUniqueKey).sort(), expected, `objects of ${id}`);
          }
          const { Stats } = await c.send(new GetDomainCommand({ DomainName }));
          const size = [...m.objects.values()].reduce((n, o) => n + Buffer.byteLength(o.text), 0);
          assert.deepEqual(Stats, { ProfileCount: m.profiles.size, MeteringProfileCount: m.profiles.size, ObjectCount: m.objects.size, TotalSize: size });
        }),
        { numRuns: 40 },
      );
    });
  });
}

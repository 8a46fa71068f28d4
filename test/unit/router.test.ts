import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadRequestException, NotImplementedException, UnknownOperationException } from '../../src/api/errors.js';
import { allOperations } from '../../src/api/all-operations.generated.js';
import type { OperationRoute } from '../../src/api/model-types.js';
import { Router } from '../../src/protocol/router.js';

const everyOperation = new Set(allOperations.map((o) => o.name));
/** A router that treats every known operation as implemented, so that routing alone is under test. */
const router = new Router(allOperations, everyOperation);

const isLabel = (segment: string) => /^\{[^}]+\}$/.test(segment);
const segmentsOf = (template: string) => template.split('?')[0].split('/').slice(1);

describe('router', () => {
  describe('method first, then the URI template', () => {
    test('POST …/workflows/integrations is CreateIntegrationWorkflow; GET and DELETE on it address the workflow "integrations"', () => {
      assert.deepEqual(router.match('POST', '/domains/d/workflows/integrations'), {
        operation: 'CreateIntegrationWorkflow',
        labels: { DomainName: 'd' },
      });
      assert.deepEqual(router.match('GET', '/domains/d/workflows/integrations'), {
        operation: 'GetWorkflow',
        labels: { DomainName: 'd', WorkflowId: 'integrations' },
      });
      assert.deepEqual(router.match('DELETE', '/domains/d/workflows/integrations'), {
        operation: 'DeleteWorkflow',
        labels: { DomainName: 'd', WorkflowId: 'integrations' },
      });
    });

    test('/domains/{D}/integrations is PutIntegration on PUT, GetIntegration on POST, ListIntegrations on GET', () => {
      assert.equal(router.match('PUT', '/domains/d/integrations').operation, 'PutIntegration');
      assert.equal(router.match('POST', '/domains/d/integrations').operation, 'GetIntegration');
      assert.equal(router.match('GET', '/domains/d/integrations').operation, 'ListIntegrations');
      assert.equal(router.match('POST', '/domains/d/integrations/delete').operation, 'DeleteIntegration');
    });

    test('/domains/{D} and /tags/{arn} pick the operation by method', () => {
      assert.equal(router.match('POST', '/domains/d').operation, 'CreateDomain');
      assert.equal(router.match('GET', '/domains/d').operation, 'GetDomain');
      assert.equal(router.match('PUT', '/domains/d').operation, 'UpdateDomain');
      assert.equal(router.match('DELETE', '/domains/d').operation, 'DeleteDomain');
      assert.equal(router.match('GET', '/domains').operation, 'ListDomains');
      assert.equal(router.match('POST', '/tags/arn').operation, 'TagResource');
      assert.equal(router.match('GET', '/tags/arn').operation, 'ListTagsForResource');
      assert.equal(router.match('DELETE', '/tags/arn').operation, 'UntagResource');
    });

    test('a static segment beats a label at the same position, whatever order the templates come in', () => {
      const routes: OperationRoute[] = [
        { name: 'ByLabel', method: 'GET', requestUri: '/a/{Id}/c' },
        { name: 'ByStatic', method: 'GET', requestUri: '/a/b/c' },
        { name: 'LabelFirst', method: 'GET', requestUri: '/x/{First}/y' },
        { name: 'LabelLast', method: 'GET', requestUri: '/x/{First}/{Second}' },
      ];
      for (const table of [routes, [...routes].reverse()]) {
        const r = new Router(table, new Set(table.map((t) => t.name)));
        assert.equal(r.match('GET', '/a/b/c').operation, 'ByStatic');
        assert.deepEqual(r.match('GET', '/a/other/c'), { operation: 'ByLabel', labels: { Id: 'other' } });
        assert.equal(r.match('GET', '/x/1/y').operation, 'LabelFirst');
        assert.deepEqual(r.match('GET', '/x/1/z'), { operation: 'LabelLast', labels: { First: '1', Second: 'z' } });
      }
    });

    test('the leftmost static segment decides between two partly static templates', () => {
      const table: OperationRoute[] = [
        { name: 'LabelThenStatic', method: 'GET', requestUri: '/{A}/s' },
        { name: 'StaticThenLabel', method: 'GET', requestUri: '/s/{B}' },
      ];
      for (const t of [table, [...table].reverse()]) {
        const r = new Router(t, new Set(t.map((x) => x.name)));
        assert.equal(r.match('GET', '/s/s').operation, 'StaticThenLabel');
      }
    });
  });

  describe('the whole model', () => {
    test('every one of the 115 operations is reached by a sample path of its own template', () => {
      assert.equal(allOperations.length, 115);
      const misrouted: string[] = [];
      for (const op of allOperations) {
        const template = op.requestUri.split('?')[0];
        const sample = template.replace(/\{[^}]+\}/g, 'x');
        const got = router.match(op.method, sample);
        if (got.operation !== op.name) misrouted.push(`${op.method} ${sample}: expected ${op.name}, got ${got.operation}`);
        else {
          const expectedLabels = Object.fromEntries(
            segmentsOf(template)
              .filter(isLabel)
              .map((s) => [s.slice(1, -1).replace(/\+$/, ''), 'x']),
          );
          assert.deepEqual(got.labels, expectedLabels, `${op.name} labels`);
        }
      }
      assert.deepEqual(misrouted, []);
    });

    test('no two templates of one method can claim the same path unless one is strictly more specific', () => {
      // Two templates overlap when, position by position, one of them has a label or both have the same
      // static text. Overlapping is fine when one's static positions include the other's (it wins); when
      // neither does, which one a path reaches depends on an arbitrary rule: a genuine ambiguity.
      const ambiguous: string[] = [];
      for (let i = 0; i < allOperations.length; i++) {
        for (let j = i + 1; j < allOperations.length; j++) {
          const a = allOperations[i];
          const b = allOperations[j];
          if (a.method !== b.method) continue;
          const sa = segmentsOf(a.requestUri);
          const sb = segmentsOf(b.requestUri);
          if (sa.length !== sb.length) continue;
          const overlap = sa.every((s, k) => isLabel(s) || isLabel(sb[k]) || s === sb[k]);
          if (!overlap) continue;
          const aCoversB = sb.every((s, k) => isLabel(s) || !isLabel(sa[k]));
          const bCoversA = sa.every((s, k) => isLabel(s) || !isLabel(sb[k]));
          if (aCoversB === bCoversA) ambiguous.push(`${a.method} ${a.requestUri} (${a.name}) vs ${b.requestUri} (${b.name})`);
        }
      }
      assert.deepEqual(ambiguous, []);
    });
  });

  describe('labels', () => {
    test('are matched on the raw path and percent-decoded afterwards', () => {
      assert.deepEqual(router.match('GET', '/domains/my%2Dname').labels, { DomainName: 'my-name' });
      assert.deepEqual(router.match('GET', '/domains/my%20domain%2Fx').labels, { DomainName: 'my domain/x' });
      assert.deepEqual(router.match('GET', '/tags/arn%3Aaws%3Aprofile%3Aus-east-1%3A123456789012%3Adomains%2Fdom'), {
        operation: 'ListTagsForResource',
        labels: { resourceArn: 'arn:aws:profile:us-east-1:123456789012:domains/dom' },
      });
    });

    test('%2F inside a label is not a path separator', () => {
      // Decoded before matching, this would be /domains/a/b/workflows = ListWorkflows' shape; it is GetDomain.
      assert.deepEqual(router.match('GET', '/domains/a%2Fb%2Fworkflows'), {
        operation: 'GetDomain',
        labels: { DomainName: 'a/b/workflows' },
      });
    });

    test('broken percent-encoding is a BadRequestException naming the label', () => {
      assert.throws(
        () => router.match('GET', '/domains/bad%zz'),
        (err: unknown) => err instanceof BadRequestException && err.statusCode === 400 && /DomainName/.test(err.message),
      );
    });

    test('an empty label still routes, so that validation can say what is wrong with it', () => {
      assert.deepEqual(router.match('GET', '/domains/'), { operation: 'GetDomain', labels: { DomainName: '' } });
    });
  });

  describe('what nothing serves', () => {
    test('an unknown path or a wrong method is UnknownOperationException 404 naming the method and path', () => {
      for (const [method, path] of [
        ['GET', '/nope'],
        ['GET', '/domains/a/b/c/d/e'],
        ['PATCH', '/domains/x'],
        ['GET', '/domains//x'],
      ]) {
        assert.throws(
          () => router.match(method, path),
          (err: unknown) =>
            err instanceof UnknownOperationException && err.statusCode === 404 && err.message.includes(`${method} ${path}`),
          `${method} ${path}`,
        );
      }
    });

    test('a very long unknown path is shortened in the message', () => {
      const path = `/${'a'.repeat(5000)}`;
      assert.throws(
        () => router.match('GET', path),
        (err: unknown) => err instanceof UnknownOperationException && err.message.length < 300,
      );
    });

    test('a real operation that is not implemented is NotImplementedException 501 naming it', () => {
      const partial = new Router(allOperations, new Set(['GetDomain']));
      assert.equal(partial.match('GET', '/domains/d').operation, 'GetDomain');
      assert.throws(
        () => partial.match('POST', '/domains/d/profiles/keys'),
        (err: unknown) => err instanceof NotImplementedException && err.statusCode === 501 && err.message.includes('AddProfileKey'),
      );
    });
  });
});

import { BadRequestException, NotImplementedException, UnknownOperationException } from '../api/errors.js';
import type { OperationRoute } from '../api/model-types.js';

type Segment = { kind: 'static'; text: string } | { kind: 'label'; name: string };

interface CompiledRoute {
  operation: string;
  implemented: boolean;
  segments: Segment[];
  /** One digit per segment, 1 for static: compared as strings, the greater one is the more specific. */
  specificity: string;
}

export interface RouteMatch {
  operation: string;
  labels: Record<string, string>;
}

/**
 * Matches a request to an operation the way AWS front ends do for restJson1: by method first, then by
 * URI template, a static segment winning over a label at the same position (so that
 * `POST …/workflows/integrations` is CreateIntegrationWorkflow while `GET …/workflows/integrations` is
 * GetWorkflow). Labels are matched on the raw path and percent-decoded afterwards, because clients encode
 * `/` inside a label as `%2F`.
 */
export class Router {
  private readonly byMethodAndLength = new Map<string, CompiledRoute[]>();

  constructor(
    routes: OperationRoute[],
    implemented: ReadonlySet<string>,
    /** The service's name in messages. */
    private readonly title = 'Customer Profiles',
  ) {
    for (const route of routes) {
      const path = route.requestUri.split('?')[0];
      const segments: Segment[] = path
        .split('/')
        .slice(1)
        .map((part) => {
          const m = /^\{([^}+]+)\+?\}$/.exec(part);
          return m ? { kind: 'label', name: m[1] } : { kind: 'static', text: part };
        });
      const compiled: CompiledRoute = {
        operation: route.name,
        implemented: implemented.has(route.name),
        segments,
        specificity: segments.map((s) => (s.kind === 'static' ? '1' : '0')).join(''),
      };
      const key = `${route.method} ${segments.length}`;
      const list = this.byMethodAndLength.get(key) ?? [];
      list.push(compiled);
      list.sort((a, b) => (a.specificity < b.specificity ? 1 : a.specificity > b.specificity ? -1 : 0));
      this.byMethodAndLength.set(key, list);
    }
  }

  /** Throws UnknownOperationException (404) or NotImplementedException (501) when nothing serves it. */
  match(method: string, rawPath: string): RouteMatch {
    const parts = rawPath.split('/').slice(1);
    const candidates = this.byMethodAndLength.get(`${method} ${parts.length}`);
    const route = candidates?.find((c) => c.segments.every((s, i) => s.kind === 'label' || s.text === parts[i]));
    if (!route) {
      throw new UnknownOperationException(`No ${this.title} operation is served at ${method} ${abridgePath(rawPath)}.`);
    }
    if (!route.implemented) {
      throw new NotImplementedException(
        `The operation ${route.operation} is part of ${this.title} but is not implemented by profileflow yet.`,
      );
    }
    const labels: Record<string, string> = {};
    route.segments.forEach((s, i) => {
      if (s.kind === 'label') labels[s.name] = decodeSegment(parts[i], s.name);
    });
    return { operation: route.operation, labels };
  }
}

function decodeSegment(raw: string, label: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequestException(`The path segment for ${label} ('${raw.slice(0, 64)}') is not valid percent-encoding.`);
  }
}

function abridgePath(path: string): string {
  return path.length > 128 ? `${path.slice(0, 128)}...` : path;
}

import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import { registerPreparedText } from '../dialects/postgres-prepared.js';

/**
 * Stands for a named parameter while a query is compiled once: `p(name)` for the value `name`, and
 * `p(name, i)` for element `i` of the array value `name` (an IN list compiled for its length).
 */
export type Param = (name: string, index?: number) => any;

const SENTINEL = /^\u0000pf-param:([^#]*)(?:#(\d+))?\u0000$/;

/**
 * The API's hottest reads, built with Kysely once per shape and then run as compiled SQL with fresh
 * parameters. Why: building a query (every `.where` copies and freezes the node tree) and compiling it
 * cost about 0.02 ms of CPU a query, a tenth of a 100-row read and more than the whole handler of a
 * GetWorkflow, for a text that never changes between requests of the same shape.
 *
 * `build` receives `p(name)` to put wherever a value goes; the parameters' order in the compiled text is
 * read back from those placeholders, so it can never drift from the builder's. A query that ends up with
 * a value not given through `p` is refused (it would be frozen into every later call).
 *
 * On PostgreSQL each text also runs as a named statement, planned once per connection
 * (dialects/postgres-prepared.ts).
 */
export class CompiledReads {
  private readonly shapes = new Map<string, { sql: string; names: { name: string; index?: number }[] }>();

  constructor(private readonly db: Kysely<any>) {}

  async rows<R>(shape: string, values: Record<string, unknown>, build: (p: Param) => Compilable<R>): Promise<R[]> {
    let compiled = this.shapes.get(shape);
    if (!compiled) {
      const query = build((name, index) => `\u0000pf-param:${name}${index === undefined ? '' : `#${index}`}\u0000`).compile();
      const names = query.parameters.map((value) => {
        const m = typeof value === 'string' ? SENTINEL.exec(value) : null;
        if (!m) throw new Error(`Compiled read ${shape}: a parameter was not given through p(): ${String(value)}`);
        return m[2] === undefined ? { name: m[1] } : { name: m[1], index: Number(m[2]) };
      });
      compiled = { sql: query.sql, names };
      registerPreparedText(query.sql);
      this.shapes.set(shape, compiled);
    }
    const parameters = compiled.names.map(({ name, index }) => (index === undefined ? values[name] : (values[name] as unknown[])[index]));
    return (await this.db.executeQuery<R>(CompiledQuery.raw(compiled.sql, parameters))).rows;
  }
}

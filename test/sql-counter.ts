import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * Counts the SQL statements an ORM's connection pool sends, from knex's own
 * `query` event: every statement MikroORM runs goes through it.
 */
export function countStatements(orm: MikroORM): { readonly count: number; readonly statements: string[]; reset(): void; detach(): void } {
  const statements: string[] = [];
  const knex = orm.em.getKnex();
  const listener = (query: { sql: string }) => statements.push(query.sql);
  knex.on('query', listener);
  return {
    get count() {
      return statements.length;
    },
    statements,
    reset: () => {
      statements.length = 0;
    },
    detach: () => {
      knex.removeListener('query', listener);
    },
  };
}

import type { MigrationObject } from '@mikro-orm/core';
import { migration } from '../../../lib/database';
import { Migration20261122025707_initial } from './Migration20261122025707_initial';

/** Applied in this order at start; append new migrations, never edit applied ones. */
export const usersMigrations: MigrationObject[] = [migration('Migration20261122025707_initial', Migration20261122025707_initial)];

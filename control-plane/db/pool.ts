export { createDb, inTransaction, type Db } from '../../shared/db/pool.ts';

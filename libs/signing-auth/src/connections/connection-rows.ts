import type { DataSource } from 'typeorm';
import type { Row } from '../common/query-rows.js';
import { ConnectionEntity } from './connection.entity.js';

/**
 * Connection entities from the raw rows a statement returned (`RETURNING *`), converted column by column
 * exactly as a TypeORM `find` would (the driver's own hydration: dates, JSON, numbers), so a claim can
 * return its rows from the claiming statement instead of reading them again.
 * @internal
 */
export function connectionsFromRows(dataSource: DataSource, rows: readonly Row[]): ConnectionEntity[] {
  const metadata = dataSource.getMetadata(ConnectionEntity);
  const driver = dataSource.driver;
  return rows.map((raw) => {
    const entity = new ConnectionEntity();
    for (const column of metadata.columns) {
      column.setEntityValue(entity, driver.prepareHydratedValue(raw[column.databaseName], column));
    }
    return entity;
  });
}

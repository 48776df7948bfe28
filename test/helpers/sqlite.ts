// Temporary SQLite files for tests: a real file on disk (WAL mode), removed with its directory.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempSqliteFile {
  /** Path of a database file that does not exist yet, in a fresh directory under `os.tmpdir()`. */
  file: string
  /** Deletes the directory, with the database and its `-wal` / `-shm` files. */
  remove(): void
}

export function tempSqliteFile(label = 'test'): TempSqliteFile {
  const dir = mkdtempSync(join(tmpdir(), `telltale-${label}-`))
  return {
    file: join(dir, 'telltale.db'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

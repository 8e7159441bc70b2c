/** `madina audit verify`: walks the case audit log's hash chain and says where it breaks. */
import type { Db } from '../../platform/db/db.ts';
import { AuditLog } from './audit-log.ts';
import { CaseStore } from './store.ts';

export const AUDIT_USAGE = `Usage: madina audit verify [--json]

Checks the hash chain of the audit log of personal data (social desk, case engine).
Exit code 0: intact; 1: broken (edited, deleted or reordered entries); 2: usage error.
Note the printed head (entries and last hash): a later run that finds fewer entries or another hash
at that position means entries were removed from the end.
`;

export async function runAuditCli(argv: string[], io: { stdout(t: string): void; stderr(t: string): void }, openDb: () => Promise<Db>): Promise<number> {
  const [sub, ...flags] = argv;
  if (sub !== 'verify' || flags.some((f) => f !== '--json')) {
    io.stderr(AUDIT_USAGE);
    return 2;
  }
  const db = await openDb();
  try {
    const exists = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'case_audit'");
    if (!exists.rows.length) {
      io.stdout(flags.includes('--json') ? `${JSON.stringify({ ok: true, entries: 0 })}\n` : 'audit log: empty (the social desk was never started on this store)\n');
      return 0;
    }
    const r = await new AuditLog(new CaseStore()).verify(db);
    if (flags.includes('--json')) io.stdout(`${JSON.stringify(r)}\n`);
    else if (r.ok) io.stdout(`audit log: intact, ${r.entries} entries, head ${r.lastHash}\n`);
    else io.stdout(`audit log: BROKEN at entry ${r.brokenAt}: ${r.problem}\n`);
    return r.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

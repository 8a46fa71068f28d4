import { describeStore, type StoreConfig } from '../store/open-store.js';
import { diagnose } from '../store/doctor.js';

/**
 * `profileflow doctor [--data-dir DIR | --database-url URL]`: one line per check, then a verdict; exit 0
 * when every check passed, 1 otherwise. Read-only, so it may run beside a live serve (on SQLite it reads a
 * snapshot; the full integrity_check of a large file takes a while and holds back WAL checkpoints meanwhile).
 */
export async function doctor(config: StoreConfig): Promise<number> {
  process.stdout.write(`profileflow doctor: ${describeStore(config)}\n`);
  const findings = await diagnose(config);
  for (const f of findings) process.stdout.write(`${f.ok ? 'ok  ' : 'FAIL'}  ${f.check}: ${f.detail}\n`);
  const failed = findings.filter((f) => !f.ok).length;
  process.stdout.write(failed === 0 ? 'healthy\n' : `${failed} check${failed === 1 ? '' : 's'} failed\n`);
  return failed === 0 ? 0 : 1;
}

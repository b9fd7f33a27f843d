/*
 * LevelDB lets one process open a store. Another process's attempt fails with abstract-level's
 * NotOpenError, whose cause has the code LEVEL_LOCKED; the gateway and the auditor CLI both meet it
 * when a gateway already runs on the data directory, and say it the same way.
 */

/** Whether opening a store failed because another process holds it. */
export function isLockedStore(error: unknown): boolean {
  const { code, cause } = (error ?? {}) as { code?: string; cause?: { code?: string } };
  return code === 'LEVEL_LOCKED' || cause?.code === 'LEVEL_LOCKED';
}

/** What is wrong with a locked store at `location`, followed by what to do about it. */
export function lockedStoreMessage(location: string, remedy: string): string {
  return `${location} is locked by a running gateway (LevelDB allows one process per store): ${remedy}`;
}

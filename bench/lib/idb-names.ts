/** Names the IndexedDB bench page and the cold-start page share. */
export const BUILD = 'bench';
/** The database the cold-start pages read, seeded by the bench page. */
export const COLD_DB = 'bench-cold';

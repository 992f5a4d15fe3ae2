// The errors live in core/errors.ts with their factory; this path stays for existing imports.
export * from './core/errors.js';

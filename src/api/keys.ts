/**
 * API keys and roles: kept in the ledger's store (src/ledger/keys.ts, where its queries are);
 * the service reads who is calling through the KeyStore.
 */
export { createKey, hashKey, KeyStore, listKeys, revokeKey, ROLES, type CreatedKey, type KeyInfo, type Role } from '../ledger/keys.js';

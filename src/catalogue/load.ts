/** Reading a catalogue file (JSON, schema in docs/national.md): every problem named, nothing half-loaded. */
import type { Catalogue } from './types.js';

/**
 * Parses a catalogue file's text.
 *
 * @throws YibaoError naming every bad item and field.
 */
export function parseCatalogue(_text: string, _name: string): Catalogue {
  throw new Error('parseCatalogue: not built yet');
}

/** `?year=2024` (the service) and `--year 2024` (the CLI): a four-digit year, optional. */
import { z } from 'zod';

export const yearQuery = z.strictObject({
  year: z
    .string()
    .regex(/^\d{4}$/, 'must be a year such as 2024')
    .optional(),
});

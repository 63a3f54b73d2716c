import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * JSON logs. `destination` 2 sends them to stderr (the CLI keeps stdout for its result).
 * Redaction is a second line of defence: identity data never reaches a log call on purpose.
 */
export function createLogger(opts: { level: string; destination?: 1 | 2; name?: string }): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'simline',
      redact: {
        paths: [
          '*.documentNumber',
          '*.fullName',
          '*.dateOfBirth',
          '*.mrz',
          '*.password',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: opts.destination ?? 1, sync: false }),
  );
}

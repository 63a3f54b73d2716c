/**
 * What a console user may do: officers draft orders, approvers decide them, auditors only read;
 * analysts list and revoke watchlist indicators and nothing else.
 */
export const CONSOLE_ROLES = ['officer', 'approver', 'admin', 'auditor', 'analyst'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

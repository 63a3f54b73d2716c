/** What a console user may do: officers draft orders, approvers decide them, auditors only read. */
export const CONSOLE_ROLES = ['officer', 'approver', 'admin', 'auditor'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** Drizzle views of the auth tables created by sql/0002_auth.sql (the SQL file is the source of truth). */
import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { ROLES } from './principal.ts'

export const REVOKE_REASONS = ['logout', 'reuse_detected', 'admin'] as const
export type RevokeReason = (typeof REVOKE_REASONS)[number]

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ROLES }).notNull().default('traveller'),
  displayName: text('display_name').notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
})

export const refreshTokens = pgTable('refresh_tokens', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull(),
  familyId: uuid('family_id').notNull(),
  tokenHash: text('token_hash').notNull(),
  expiresAt: timestamptz('expires_at').notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  rotatedAt: timestamptz('rotated_at'),
  replacedBy: uuid('replaced_by'),
  revokedAt: timestamptz('revoked_at'),
  revokeReason: text('revoke_reason', { enum: REVOKE_REASONS }),
})

export type UserRow = typeof users.$inferSelect
export type RefreshTokenRow = typeof refreshTokens.$inferSelect
